"""A sentence that only restates the question answers nothing: "Khu vực Brookhaven vẫn còn nổi
tiếng với tỷ lệ tội phạm cao [1]" for "Khu vực nào của Brookhaven vẫn còn nổi tiếng với tỷ lệ
tội phạm cao?" (Qwen on XQuAD), every word supported and what was asked ("Phân khu bị cô lập")
left out. Such a sentence is removed, as is one of a Vietnamese answer that still asks with
its question's words ("… kéo dài bao lâu … từ năm 1701 đến 1800"); a draft left with nothing
else gives way to the extractive answer, which quotes the sentence holding the question's
words and the answer.

A yes/no or either/or question may be answered in its own words ("Việt Nam có tham dự không?"
→ "Việt Nam đã tham dự [1]"), so it is left alone, unless an either/or question comes back
whole: every word of both alternatives and nothing else picks neither (Qwen on XQuAD: "Các băng
hình có thể được phục hồi … hay một số yếu tố … bị mất đi tính chính thống. [1]")."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.grounding import content_words, stated_facts
from bot.question_kinds import answerable_in_its_words, asking_phrases, offers_a_choice
from bot.review.draft import Draft, Fallback, ReviewContext


class RestatementCheck:
    name = "restating"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        asked = _said(context.question)
        own_words = answerable_in_its_words(context.question)
        if own_words and not offers_a_choice(context.question):
            return draft
        asking = asking_phrases(context.question) if context.lang == "vi" else set()
        restated = False
        for sentence in draft.kept:
            said = _said(strip_citations(sentence.text))
            # An either/or question answered in its own words drops the other alternative.
            if not said - asked and (not own_words or asked <= said):
                sentence.removed = "restates the question"
                restated = True
            elif asking & asking_phrases(sentence.text):
                sentence.removed = "still asks the question"
                restated = True
        if restated and not draft.kept:
            raise Fallback("restated", "the answer only restates the question")
        return draft


def _said(text: str) -> set[str]:
    """Its content words and numbers, as the exact checks read them ("hai" is 2)."""
    numbers, _ = stated_facts(text)
    return {*content_words(text), *numbers}
