"""Attribution after generation: a supported sentence the model left uncited gets the citation
its supporting passage earns, instead of sinking the answer.

Small instruction models write a right sentence without its [n] about as often as with it
(FIELD-NOTES; ALCE, Gao et al. 2023; Slobodkin et al. 2024, "attribute first"). A sentence
earns passage n when it passes the exact checks against n alone and, with the encoder at hand,
is closest in meaning to n; the later checks then treat it like any cited sentence. A sentence
whose own citation does not hold it, but another passage the model was sent does ("… ngày 20/3
[1]" where [2] has the date), is cited again the same way (`ReattributionCheck`).
"""

from __future__ import annotations

import re

from bot.citations import strip_citations, strip_citations_keep_space
from bot.review.draft import Draft, ReviewContext, Sentence
from bot.review.meaning import MEANING_THRESHOLD

_END = re.compile(r"([.!?…]*[\"'”’)»]*)(\s*)$")


def with_citation(text: str, n: int) -> str:
    """The sentence with [n] before its final punctuation: "… năm 1947 [1]." """
    match = _END.search(text)
    assert match is not None  # the pattern matches the empty end of any string
    return f"{text[: match.start()].rstrip()} [{n}]{match.group(1)}{match.group(2)}"


class AttributionCheck:
    name = "attribution"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        attributed = 0
        for sentence in draft.kept:
            if sentence.sources:
                continue
            n = _best_source(sentence, context)
            if n is not None:
                sentence.text = with_citation(sentence.text, n)
                attributed += 1
        if attributed:
            draft.flags.append("citations_attributed")
        return draft


class ReattributionCheck:
    """After the exact checks: a sentence its citation does not hold gets the passage that does."""

    name = "reattribution"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        corrected = 0
        for sentence in draft.sentences or []:
            if not (sentence.removed and sentence.miscited):
                continue
            bare = strip_citations_keep_space(sentence.text)
            n = _best_source(Sentence(bare), context)
            if n is not None:
                sentence.text = with_citation(bare, n)
                sentence.removed, sentence.miscited, sentence.factual = "", False, True
                corrected += 1
        if corrected:
            draft.flags.append("citations_corrected")
        return draft


def _best_source(sentence: Sentence, context: ReviewContext) -> int | None:
    """The passage that supports an uncited sentence best, if one does."""
    grounder = context.grounder
    claim = strip_citations(sentence.text)
    supporting = []
    for n in range(1, len(context.passages) + 1):
        verdict = grounder.check(with_citation(sentence.text, n))
        if verdict.supported and verdict.factual:
            supporting.append(n)
    if not supporting:
        return None
    scorer = context.meaning
    if scorer is None:
        return supporting[0]  # the best-ranked passage that passes the exact checks
    scored = [(scorer.support(claim, (n,)).score, n) for n in supporting]
    score, n = max(scored)
    return n if score >= MEANING_THRESHOLD else None
