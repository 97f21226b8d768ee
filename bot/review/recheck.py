"""An independent re-check of a shown answer, from what the user got: its final text, its
renumbered citations and each cited article's passages (not the answerer's bookkeeping).

Used by `diplobot eval` and the real-model tests to count unsupported sentences shown.
"""

from __future__ import annotations

from typing import Any

from bot.citations import strip_citations
from bot.grounding import Grounder
from bot.language import detect_language
from bot.review.meaning import MEANING_THRESHOLD, Embed, MeaningScorer


def unsupported_shown(answer: dict[str, Any], embed: Embed | None = None) -> list[str]:
    """The sentences of an answer (`Answer.to_dict()`) that what they cite does not support,
    exactly (numbers, dates, names, words) and, given an encoder, by meaning."""
    sources = [
        "\n".join(part for part in (c["title"], c["date"], c["passage"]) if part)
        for c in answer["citations"]
    ]
    grounding = Grounder(sources, detect_language(answer["question"])).ground(answer["answer"])
    found = [f"{s.text.strip()} ({s.reason})" for s in grounding.removed]
    if embed is not None:
        scorer = MeaningScorer(embed, sources)
        for s in grounding.sentences:
            if s.supported and s.factual and s.sources:
                score = scorer.support(strip_citations(s.text), s.sources).score
                if score < MEANING_THRESHOLD:
                    found.append(f"{s.text.strip()} (meaning {score:.2f})")
    return found
