"""Citation numbers that are not sources ("[7]" of five) are removed from each sentence."""

from __future__ import annotations

import logging

from bot.citations import drop_invalid_citations
from bot.review.draft import Draft, ReviewContext

log = logging.getLogger(__name__)


class CitationNumbersCheck:
    name = "citation_numbers"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        removed: list[int] = []
        for sentence in draft.kept:
            sentence.text, bad = drop_invalid_citations(sentence.text, len(context.passages))
            removed.extend(bad)
        if removed:
            log.info("removed citations that are not sources: %s", removed)
            draft.flags.append("citations_removed")
        return draft
