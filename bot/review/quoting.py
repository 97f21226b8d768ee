"""Words a sentence puts in quotation marks as the sources' own must be theirs.

An English answer to Vietnamese sources may give the sources' words in quotes ('also known as
"biểu đồ gậy khúc côn cầu" [1]'), and the language check lets it. A quote with Vietnamese marks
that what its citations stand for does not hold is an invented quotation, and the sentence is
removed. A quote without marks may be the model's own rendering ("the "hockey stick" graph")
and is left to the other checks.
"""

from __future__ import annotations

from bot.review.answer_language import QUOTED
from bot.review.draft import Draft, ReviewContext
from knowledge.language import lacks_marks


class QuoteCheck:
    name = "quoting"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        for sentence in draft.kept:
            if not sentence.sources:  # an uncited sentence is the citation checks' to judge
                continue
            for match in QUOTED.finditer(sentence.text):
                span = match.group(0)[1:-1]
                if not lacks_marks(span) and not context.grounder.holds(sentence.sources, span):
                    sentence.removed = f"quotes words its sources do not hold: {span[:40]}"
                    break
        return draft
