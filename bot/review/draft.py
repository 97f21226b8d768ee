"""What every check of a model's draft reads and writes (see bot/review/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.citations import cited_numbers
from bot.grounding import Grounder
from bot.language import Lang
from knowledge.records import Passage

if TYPE_CHECKING:
    from bot.review.meaning import MeaningScorer


class Fallback(Exception):
    """The draft is not shown; the extractive answer is, with the notice `reason` names."""

    def __init__(self, reason: str, why: str) -> None:
        super().__init__(f"{reason}: {why}")
        self.reason = reason  # a key of answerer.FALLBACK_NOTICES
        self.why = why  # for the log


@dataclass
class Sentence:
    """One sentence of the draft; [n] cites the n-th passage the model was sent."""

    text: str  # as written, citations and trailing whitespace included
    removed: str = ""  # why it is not shown; "" while it is kept
    factual: bool = True  # states something checkable (else a connective: "In summary:")
    # Names the exact checks could not find as written (English for a Vietnamese source).
    translated: tuple[str, ...] = ()
    miscited: bool = False  # the exact checks failed against its own citations

    @property
    def kept(self) -> bool:
        return not self.removed

    @property
    def sources(self) -> tuple[int, ...]:
        return tuple(cited_numbers(self.text))


@dataclass
class Draft:
    """A model's reply on its way through the checks.

    Text-level checks read and rewrite `text`; once `sentences` is set (by the split check),
    sentence-level checks mark sentences removed or add citations, and `text` is derived.
    """

    text: str
    sentences: list[Sentence] | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def kept(self) -> list[Sentence]:
        return [s for s in self.sentences or [] if s.kept]

    @property
    def removed(self) -> list[Sentence]:
        return [s for s in self.sentences or [] if not s.kept]

    def kept_text(self) -> str:
        if self.sentences is None:
            return self.text
        return "".join(s.text for s in self.kept).strip()


@dataclass(frozen=True)
class ReviewContext:
    """What a draft is checked against: the question and the passages the model was sent."""

    question: str
    passages: Sequence[Passage]
    lang: Lang
    grounder: Grounder
    meaning: MeaningScorer | None = None
    # Retrieval found the question answerable: a model's "not in the sources" is then
    # overruled by the extractive answer rather than shown as a refusal.
    confident: bool = True

    @property
    def sources(self) -> list[str]:
        return [p.text for p in self.passages]


class Check(Protocol):
    """One step of the review: a draft in, the draft out (or `Fallback` raised).

    `sentence_level` checks also run on each sentence as it streams, so that what the user
    sees before the answer is complete already passed them.
    """

    name: str
    sentence_level: bool

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft: ...
