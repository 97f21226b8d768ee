"""Words a sentence puts in quotation marks as the sources' own must be theirs.

An English answer to Vietnamese sources may give the sources' words in quotes ('also known as
"biểu đồ gậy khúc côn cầu" [1]'), and the language check lets it. A quote with Vietnamese letters
that its cited passages do not hold is an invented quotation, and the sentence is removed. A
quote in plain ASCII may be the model's own rendering ("the "hockey stick" graph") and is left
to the other checks.
"""

from __future__ import annotations

from bot.review.answer_language import QUOTED
from bot.review.draft import Draft, ReviewContext
from knowledge.text import LETTERS, words


def _marked(span: str) -> bool:
    return any(not token.isascii() for token in LETTERS.findall(span))


class QuoteCheck:
    name = "quoting"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        sources = context.sources
        for sentence in draft.kept:
            cited = [
                f" {' '.join(words(sources[n - 1]))} "
                for n in sentence.sources
                if 1 <= n <= len(sources)
            ]
            if not cited:  # an uncited sentence is the citation checks' to judge
                continue
            for match in QUOTED.finditer(sentence.text):
                span = match.group(0)[1:-1]
                quoted = " ".join(words(span))
                if quoted and _marked(span) and not any(f" {quoted} " in c for c in cited):
                    sentence.removed = f"quotes words its sources do not hold: {span[:40]}"
                    break
        return draft
