"""A sentence that only restates the question answers nothing: "Khu vực Brookhaven vẫn còn nổi
tiếng với tỷ lệ tội phạm cao [1]" for "Khu vực nào của Brookhaven vẫn còn nổi tiếng với tỷ lệ
tội phạm cao?" (Qwen on XQuAD), every word supported and what was asked ("Phân khu bị cô lập")
left out. Such a sentence is removed; a draft left with nothing else gives way to the
extractive answer, which quotes the sentence holding the question's words and the answer.

A yes/no or either/or question may be answered in its own words ("Việt Nam có tham dự không?"
→ "Việt Nam đã tham dự [1]"), so it is left alone."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.grounding import content_words, stated_facts
from bot.question_kinds import answerable_in_its_words
from bot.review.draft import Draft, Fallback, ReviewContext


class RestatementCheck:
    name = "restating"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if answerable_in_its_words(context.question):
            return draft
        asked = _said(context.question)
        restated = False
        for sentence in draft.kept:
            if not _said(strip_citations(sentence.text)) - asked:
                sentence.removed = "restates the question"
                restated = True
        if restated and not draft.kept:
            raise Fallback("restated", "the answer only restates the question")
        return draft


def _said(text: str) -> set[str]:
    """Its content words and numbers, as the exact checks read them ("hai" is 2)."""
    numbers, _ = stated_facts(text)
    return {*content_words(text), *numbers}
