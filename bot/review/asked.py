"""An answer must give the kind of thing asked when its sources give one: a when-question
answered without a date, or a how-many question without its number, answers something else
("kết thúc vào ngày nào?" → "kết thúc sau 3 ngày họp [1]", every word supported). The
extractive answer, which prefers the sentences that hold the asked kind, is shown instead."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.grounding import stated_facts
from bot.question_kinds import asked_kind, counted_noun, counts
from bot.review.draft import Draft, Fallback, ReviewContext


class AskedCheck:
    name = "asked"
    sentence_level = False

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        kind = asked_kind(context.question)
        if kind not in ("when", "how_many"):
            return draft
        answer = " ".join(strip_citations(s.text) for s in draft.kept)
        sources = "\n".join(p.text for p in context.passages)
        # Numbers and dates as the exact checks read them (digits, number words, "March 22").
        answer_numbers, answer_dates = stated_facts(answer)
        source_numbers, source_dates = stated_facts(sources)
        if kind == "when":
            if (source_dates or _years(source_numbers)) and not (
                answer_dates or _years(answer_numbers)
            ):
                raise Fallback("off_question", "a when-question answered without a date")
            return draft
        noun = counted_noun(context.question)
        if noun and counts(sources, noun) and not counts(answer, noun):
            raise Fallback("off_question", f"no number of “{noun}” in the answer")
        if source_numbers and not answer_numbers:
            raise Fallback("off_question", "a how-many question answered without a number")
        return draft


def _years(numbers: frozenset[str]) -> bool:
    return any(n.isdigit() and 1000 <= int(n) <= 2100 for n in numbers)
