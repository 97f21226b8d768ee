"""First check: reasoning blocks, prompt echoes, markup and loops cut (bot/model_output.py)."""

from __future__ import annotations

import logging

from bot.model_output import clean_model_text
from bot.review.draft import Draft, Fallback, ReviewContext

log = logging.getLogger(__name__)


class CleanCheck:
    """Cuts what no answer contains; an empty or declining reply falls back.

    A model's "not in the sources" is not shown as a refusal: the answerer only asks the model
    once retrieval found the question answerable, and small models decline answerable questions
    often (FIELD-NOTES), so the extractive answer decides instead.
    """

    name = "clean"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        cleaned = clean_model_text(draft.text)
        if cleaned.flags:
            log.info("model reply cut: %s", ", ".join(cleaned.flags))
        draft.flags.extend(cleaned.flags)
        if cleaned.declined:
            raise Fallback("declined", "the model said the sources do not answer")
        if not cleaned.text:
            raise Fallback("empty", f"nothing left of a {len(draft.text)}-character reply")
        draft.text = cleaned.text
        return draft
