"""The review of a model's draft: a chain of small checks, run in order by the answerer.

    outcome = review(raw_reply, context)            # the whole reply
    shown = review_sentence(sentence, context)       # one streamed sentence, or None

Each check (bot/review/*.py, one a module) takes the draft and the passages the model was sent
and returns the draft, with sentences removed, citations added or flags set, or raises
`Fallback` with the reason the extractive answer is shown instead. Adding a check is a new
module and a line in `CHECKS`; the answerer does not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.review.answer_language import LanguageCheck
from bot.review.asked import AskedCheck
from bot.review.attribution import AttributionCheck, ReattributionCheck
from bot.review.citation_numbers import CitationNumbersCheck
from bot.review.cleaning import CleanCheck
from bot.review.copying import CopyCheck
from bot.review.draft import Check, Draft, Fallback, ReviewContext, Sentence
from bot.review.exact import ExactCheck
from bot.review.injection import InjectionCheck
from bot.review.meaning import MeaningCheck, MeaningScorer
from bot.review.quoting import QuoteCheck
from bot.review.restating import RestatementCheck
from bot.review.source_words import source_words
from bot.review.splitting import SplitSentences
from bot.review.subject import SubjectCheck
from bot.review.verdict import CitedCheck, SupportedCheck

__all__ = [
    "CHECKS",
    "Check",
    "Draft",
    "Fallback",
    "MeaningScorer",
    "ReviewContext",
    "ReviewOutcome",
    "review",
    "review_sentence",
]

CHECKS: tuple[Check, ...] = (
    CleanCheck(),
    InjectionCheck(),
    LanguageCheck(),
    SplitSentences(),
    LanguageCheck(),  # again, sentence by sentence: one may switch language
    RestatementCheck(),
    SubjectCheck(),
    CitationNumbersCheck(),
    AttributionCheck(),
    CitedCheck(),
    ExactCheck(),
    ReattributionCheck(),
    QuoteCheck(),
    MeaningCheck(),
    CopyCheck(),
    SupportedCheck(),
    AskedCheck(),  # on what is left to show
)


@dataclass
class ReviewOutcome:
    """The text to show (model's citation numbers) or why not (`fallback`), and what was cut."""

    text: str = ""
    fallback: str = ""
    why: str = ""  # what made it fall back, for the log
    flags: list[str] = field(default_factory=list)
    sentences_total: int = 0
    sentences_removed: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, why)
    model_chars: int = 0  # what the model wrote, before any check: 0 means it wrote nothing
    # ([n], sentence) of the sources in another language that the kept sentences rest on.
    source_words: list[tuple[int, str]] = field(default_factory=list)


def review(raw: str, context: ReviewContext, checks: Sequence[Check] = CHECKS) -> ReviewOutcome:
    """Run a model's reply through every check, in order."""
    draft = Draft(raw)
    model_chars = len(raw)
    try:
        for check in checks:
            draft = check(draft, context)
    except Fallback as fallback:
        total = len(draft.sentences or []) or int(bool(draft.text.strip()))
        return ReviewOutcome(
            fallback=fallback.reason,
            why=fallback.why,
            flags=[*draft.flags, f"fallback_{fallback.reason}"],
            sentences_total=total,
            sentences_removed=total,
            removed=[(s.text, s.removed) for s in draft.removed],
            model_chars=model_chars,
        )
    removed = draft.removed
    flags = list(draft.flags)
    if removed:
        flags.append("unsupported_removed")
    return ReviewOutcome(
        text=draft.kept_text(),
        flags=flags,
        sentences_total=len(draft.sentences or []),
        sentences_removed=len(removed),
        removed=[(s.text, s.removed) for s in removed],
        model_chars=model_chars,
        source_words=source_words(draft.kept, context),
    )


def review_sentence(
    sentence: str, context: ReviewContext, checks: Sequence[Check] = CHECKS
) -> str | None:
    """One complete sentence of a streaming reply as it may be shown now, or None.

    Only sentence-level checks run: what the whole reply decides (its language, a fallback)
    is settled at the end, when the checked answer replaces the stream.
    """
    draft = Draft(sentence, sentences=[Sentence(sentence)])
    try:
        for check in checks:
            if check.sentence_level:
                draft = check(draft, context)
    except Fallback:
        return None
    kept = draft.kept
    if not kept or (not kept[0].sources and kept[0].factual):
        return None
    return kept[0].text
