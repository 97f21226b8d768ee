"""An answer must give the kind of thing asked when its sources give one: a when-question
answered without a date, or a how-many question without its number, answers something else
("kết thúc vào ngày nào?" → "kết thúc sau 3 ngày họp [1]", every word supported). The
extractive answer, which prefers the sentences that hold the asked kind, is shown instead."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.question_kinds import DATE, NUMBER, asked_kind, counted_noun, counts
from bot.review.draft import Draft, Fallback, ReviewContext

# Numbers written as words ("hai đoàn", "three experts") answer a how-many question too.
_NUMBER_WORDS = frozenset(
    """
    một hai ba bốn sáu bảy tám chín mười mươi trăm nghìn ngàn triệu tỷ chục
    one two three four five six seven eight nine ten eleven twelve dozen dozens hundred
    hundreds thousand thousands million millions billion billions
    """.split()
)


class AskedCheck:
    name = "asked"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        kind = asked_kind(context.question)
        if kind not in ("when", "how_many"):
            return draft
        answer = " ".join(strip_citations(s.text) for s in draft.kept)
        sources = "\n".join(p.text for p in context.passages)
        if kind == "when" and DATE.search(sources) and not DATE.search(answer):
            raise Fallback("off_question", "a when-question answered without a date")
        if kind == "how_many":
            noun = counted_noun(context.question)
            if noun and counts(sources, noun) and not counts(answer, noun):
                raise Fallback("off_question", f"no number of “{noun}” in the answer")
            spelled = any(w in _NUMBER_WORDS for w in answer.lower().split())
            if NUMBER.search(sources) and not (NUMBER.search(answer) or spelled):
                raise Fallback("off_question", "a how-many question answered without a number")
        return draft
