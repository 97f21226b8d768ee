"""Exact grounding: numbers, dates, names and content words found in the cited passages
(bot/grounding.py); an uncited sentence that states something is removed."""

from __future__ import annotations

import logging

from bot.review.draft import Draft, ReviewContext

log = logging.getLogger(__name__)


class ExactCheck:
    name = "exact"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        for sentence in draft.kept:
            verdict = context.grounder.check(sentence.text)
            sentence.factual = verdict.factual
            sentence.translated = verdict.translated
            if not verdict.supported:
                sentence.removed = verdict.reason
                sentence.miscited = bool(verdict.sources)
        return draft
