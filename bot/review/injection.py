"""A reply that obeys text planted in a source or in the question is not shown at all."""

from __future__ import annotations

from bot.guard import follows_injection
from bot.review.draft import Draft, Fallback, ReviewContext


class InjectionCheck:
    name = "injection"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if follows_injection(draft.kept_text(), context.question, context.sources):
            raise Fallback("injection", "it obeyed text planted in a source")
        return draft
