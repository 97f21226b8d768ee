"""A sentence that only restates the question answers nothing: "Khu vực Brookhaven vẫn còn nổi
tiếng với tỷ lệ tội phạm cao [1]" for "Khu vực nào của Brookhaven vẫn còn nổi tiếng với tỷ lệ
tội phạm cao?" (Qwen on XQuAD), every word supported and what was asked ("Phân khu bị cô lập")
left out. Such a sentence is removed; a draft left with nothing else gives way to the
extractive answer, which quotes the sentence holding the question's words and the answer.

A yes/no or either/or question may be answered in its own words ("Việt Nam có tham dự không?"
→ "Việt Nam đã tham dự [1]"), so it is left alone."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.question_kinds import answerable_in_its_words
from bot.review.draft import Draft, Fallback, ReviewContext
from knowledge.language import ENGLISH_FUNCTION_WORDS
from knowledge.text import STOPWORDS, words


class RestatementCheck:
    name = "restating"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        if answerable_in_its_words(context.question):
            return draft
        asked = set(words(context.question))
        restated = False
        for sentence in draft.kept:
            if not _new_words(strip_citations(sentence.text), asked):
                sentence.removed = "restates the question"
                restated = True
        if restated and not draft.kept:
            raise Fallback("restated", "the answer only restates the question")
        return draft


def _new_words(sentence: str, asked: set[str]) -> list[str]:
    """The sentence's words (numbers included) that the question does not hold."""
    return [
        w
        for w in words(sentence)
        if w not in asked and w not in STOPWORDS and w not in ENGLISH_FUNCTION_WORDS
    ]
