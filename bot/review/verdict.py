"""Whether anything worth showing is left: a cited sentence (after attribution), and at least
one supported sentence that states something checkable."""

from __future__ import annotations

from bot.review.draft import Draft, Fallback, ReviewContext


class CitedCheck:
    """No sentence cites a source, even after attribution: nothing can be checked."""

    name = "cited"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if not draft.kept and draft.removed:
            # Nothing left to cite: the user is told the sentences were unsupported, not uncited.
            raise Fallback("unsupported", f"every sentence removed ({draft.removed[0].removed})")
        if not any(s.sources for s in draft.kept):
            raise Fallback("uncited", "no valid citation, none attributable")
        return draft


class SupportedCheck:
    name = "supported"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if not any(s.factual for s in draft.kept):
            raise Fallback("unsupported", "no sentence is supported by its citations")
        return draft
