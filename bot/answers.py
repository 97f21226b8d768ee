"""What the answer layer returns: a cited answer, and the turns of a conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.records import Passage


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, kept for follow-up questions."""

    question: str
    answer: str
    standalone_question: str = ""  # the question as it was searched (after rewriting)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer; links come from article metadata, never from model text."""

    n: int
    doc_id: str
    title: str
    source: str  # the outlet
    date: str
    url: str
    passage: str  # the cited passage's full text
    position: int = 0  # the chunk's position in its article

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "url": self.url,
            "passage": self.passage,
            "position": self.position,
        }


@dataclass
class Answer:
    """A composed answer. `answered` is False when the bot declined (not in the sources)."""

    question: str
    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    backend: str = "extractive"
    standalone_question: str = ""
    notice: str = ""  # one line for the user, e.g. "model server unreachable: extractive answer"
    # What happened on the way, e.g. "not_covered", "unsupported_removed", "fallback_timeout";
    # every "fallback_<reason>" flag comes with `fell_back`.
    flags: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # A model backend was asked, but the text shown is the extractive fallback's.
    fell_back: bool = False
    # Sentences the model wrote (after reasoning, echoes and loops were cut), and how many of
    # them the user does not see: unsupported by their citations, or all of them on fallback.
    sentences_total: int = 0
    sentences_removed: int = 0
    # Characters the model wrote before any check (0: it wrote nothing, e.g. a dead server).
    model_chars: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "answered": self.answered,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [
                {
                    "doc_id": p.doc_id,
                    "title": p.chunk.meta.title,
                    "position": p.chunk.position,
                    "text": p.text,
                    "score": round(p.score, 6),
                    "relevance": round(p.relevance, 4),
                }
                for p in self.passages
            ],
            "backend": self.backend,
            "notice": self.notice,
            "flags": self.flags,
            "fell_back": self.fell_back,
            "sentences_total": self.sentences_total,
            "sentences_removed": self.sentences_removed,
            "model_chars": self.model_chars,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
