"""Grounding by meaning: each cited sentence must say what a sentence of its sources says.

The exact checks (bot/grounding.py) hold numbers, dates and names to the letter, but an English
sentence citing Vietnamese passages has no words to compare: a fluent invention ("Vietnam
proposed a regional climate fund [1]") with no number passes them. The multilingual encoder
that retrieval already loaded compares meanings across languages: the sentence is kept only if
some sentence of a passage it cites is close to it. Embedding similarity barely sees negation,
so a claim and its best evidence must also agree on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.citations import strip_citations
from bot.grounding import digit_numbers
from bot.review.draft import Draft, ReviewContext
from knowledge.sentences import chunk_sentences
from knowledge.text import STOPWORDS, words

log = logging.getLogger(__name__)

Embed = Callable[[Sequence[str]], np.ndarray]

# Cosine of multilingual-e5-small ("query: " on both sides) between a claim and its closest
# source sentence; chosen from the measurement in tests/bot/test_meaning.py and the README.
MEANING_THRESHOLD = 0.84
# A sentence with names no source spells as written ("in Geneva" for a passage that says
# "tại Buenos Aires") has less exact evidence behind it: its meaning must be closer.
TRANSLATED_NAME_MARGIN = 0.02

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|cannot|without)\b|n't\b"
    r"|\b(?:không|chưa|chẳng|chả|đừng|chớ)\b",
    re.IGNORECASE,
)
# Words that contain a negation without denying anything: "không khí" (air), "chẳng hạn"
# (for example), "không giống như" (unlike), "không dưới 700" (at least 700), "not only".
_NOT_NEGATION = re.compile(
    r"\b(?:hàng không|không gian|không khí|không quân|không phận|không chỉ|không ngừng"
    r"|không những|dù không|chẳng hạn|không giống như|không dưới|not only|no (?:fewer|less) than"
    r"|no\.)",
    re.IGNORECASE,
)


def negated(text: str) -> bool:
    """Whether a sentence denies something ("did not attend", "không tham dự")."""
    return bool(_NEGATION.search(_NOT_NEGATION.sub(" ", text)))


# Where a source sentence's clauses part: a list's items ("68.511 … có con dưới 18 tuổi, …,
# 30.547 … không có chồng") each say their own "không". A comma inside a number ("43,3%") has
# no space after it.
_CLAUSE_BREAK = re.compile(r"[,;]\s+")


# "không phải X mà (chỉ) Y", "not X but Y": Y is affirmed, though the sentence says "không".
_CONTRAST = re.compile(r"\b(?:không phải|not)\b.*?\s(?:mà|but)\s", re.IGNORECASE)


def negation_differs(claim: str, source: str) -> bool:
    """Whether a claim and its closest source sentence disagree on negation.

    A claim that writes numbers is read against the source's clauses holding them: "68,511
    households have children under 18" agrees with "trong đó 68.511 … có con dưới 18 tuổi",
    whatever "không" a later item of the same list says, while "12.843 … đồng giới" still
    meets the "chưa kết hôn" of the clause its number comes from. Any other claim is read
    against the side of a "không phải X mà Y" it shares more words with (Mote's class system
    "không phải là một dấu hiệu của sức mạnh xã hội …, mà chỉ bao hàm 'mức độ đặc quyền'":
    a claim of "mức độ đặc quyền" is affirmed, one of "sức mạnh xã hội" denied), or against the
    whole sentence.
    """
    anchors = digit_numbers(claim)
    clauses = [part for part in _CLAUSE_BREAK.split(source) if anchors & digit_numbers(part)]
    if clauses:
        return negated(claim) != negated(" ".join(clauses))
    return negated(claim) != negated(_side(claim, source))


def _side(claim: str, source: str) -> str:
    """The side of a contrast the claim speaks of, or the whole source."""
    contrast = _CONTRAST.search(source)
    if contrast is None:
        return source
    # The affirmed side runs to the end of its clause: "…, do đó, …" says something else.
    denied = source[: contrast.end()]
    affirmed = _CLAUSE_BREAK.split(source[contrast.end() :], maxsplit=1)[0]
    wanted = set(words(claim)) - STOPWORDS
    shared = [len(wanted & set(words(side))) for side in (denied, affirmed)]
    if shared[0] == shared[1]:
        return source
    return affirmed if shared[1] > shared[0] else denied


@dataclass(frozen=True)
class Support:
    """A sentence of the cited sources, how close it is to a claim (cosine), and its [n]."""

    score: float
    sentence: str
    source: int = 0


class MeaningScorer:
    """Embeds the sources' sentences once per answer and scores claims against them."""

    def __init__(self, embed: Embed, sources: Sequence[str]) -> None:
        """Args:
        embed: Texts → unit vectors (the knowledge base's encoder).
        sources: The text of each source; [n] cites `sources[n - 1]`.
        """
        self._embed = embed
        self._sentences = [chunk_sentences(source) for source in sources]
        self._vectors: dict[int, np.ndarray] = {}
        # A claim is scored several times per answer (streamed, attributed, reviewed whole).
        self._claims: dict[str, np.ndarray] = {}

    def _source(self, n: int) -> np.ndarray:
        if n not in self._vectors:
            sentences = self._sentences[n - 1]
            self._vectors[n] = self._embed(sentences) if sentences else np.zeros((0, 1))
        return self._vectors[n]

    def support(self, claim: str, sources: Sequence[int]) -> Support:
        """The best-matching sentence among the cited sources (score 0 when there is none)."""
        ranked = self.ranked(claim, sources)
        return ranked[0] if ranked and ranked[0].score > 0 else Support(0.0, "")

    def ranked(self, claim: str, sources: Sequence[int]) -> list[Support]:
        """Every sentence of the cited sources, the closest to the claim first."""
        valid = [n for n in dict.fromkeys(sources) if 1 <= n <= len(self._sentences)]
        if not valid or not claim.strip():
            return []
        if claim not in self._claims:
            self._claims[claim] = self._embed([claim])[0]
        vector = self._claims[claim]
        found: list[Support] = []
        for n in valid:
            matrix = self._source(n)
            if len(matrix):
                scores = matrix @ vector
                sentences = self._sentences[n - 1]
                found += [Support(float(x), s, n) for x, s in zip(scores, sentences, strict=True)]
        return sorted(found, key=lambda support: -support.score)


class MeaningCheck:
    name = "meaning"
    sentence_level = True

    def __init__(self, threshold: float = MEANING_THRESHOLD) -> None:
        self.threshold = threshold

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        scorer = context.meaning
        if scorer is None:
            return draft
        for sentence in draft.kept:
            if not sentence.factual or not sentence.sources:
                continue
            claim = strip_citations(sentence.text)
            support = scorer.support(claim, sentence.sources)
            threshold = self.threshold + (TRANSLATED_NAME_MARGIN if sentence.translated else 0)
            if support.score < threshold:
                sentence.removed = f"meaning {support.score:.2f} < {threshold:.2f}"
            elif negation_differs(claim, support.sentence):
                sentence.removed = "negation differs from its source"
        return draft
