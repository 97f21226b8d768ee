"""A reply that pastes a passage whole is no answer: the extractive backend quotes the
sentences that answer instead."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.review.draft import Draft, Fallback, ReviewContext
from knowledge.sentences import chunk_sentences
from knowledge.text import fold

LONG_ANSWER = 5  # sentences; shorter replies may quote their sources as they like
COPIED_SHARE = 0.8  # of the reply's sentences found word for word in the passages


class CopyCheck:
    name = "copying"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        kept = draft.kept
        if len(kept) < LONG_ANSWER:
            return draft
        quoted = {_key(s) for p in context.passages for s in chunk_sentences(p.text)}
        copied = sum(1 for s in kept if _key(strip_citations(s.text)) in quoted)
        if copied / len(kept) >= COPIED_SHARE:
            raise Fallback("copied", f"{copied} of {len(kept)} sentences pasted from the sources")
        return draft


def _key(sentence: str) -> str:
    return " ".join(fold(sentence).strip(" .!?…").split())
