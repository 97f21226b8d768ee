"""The corpus's own Vietnamese terms, embedded, so that a question can be matched by words it lacks.

An English question shares only names and numbers with Vietnamese text, so the extractive
backend's word matching had nothing else to go on; a Vietnamese one may ask in other words than
the corpus's. Ingest embeds the corpus's recurring Vietnamese terms (lower-case syllables and
syllable pairs seen at least `MIN_COUNT` times) once, in the encoder's query form; the
question's vector, which retrieval computes anyway, then names the terms closest to it ("Who
led the Vietnamese delegation?" → "dẫn đầu"), one per content word of the question. No word
list, and no extra encoding per question: a product with a few thousand rows. Measured on
XQuAD's half, at the operating point: English answer recall 0.649 → 0.664, Vietnamese 0.861 →
0.870; UIT-ViQuAD unchanged (README "Quality").
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.language import is_vietnamese_syllable
from knowledge.text import LETTERS, STOPWORDS, fold

# A term seen fewer times is more often a name or a slip than a word a question would use
# (XQuAD English, terms per English word, answer recall at the operating point: at least 2
# times 0.668, 3: 0.676, 4: 0.677).
MIN_COUNT = 3
MAX_TERMS = 8000  # the most frequent ones (UIT-ViQuAD's 18 pages hold 3,840)


def corpus_terms(texts: Iterable[str]) -> list[str]:
    """The recurring Vietnamese terms of some texts, most frequent first (ties by spelling)."""
    counts: Counter[str] = Counter()
    for text in texts:
        # Pairs do not straddle punctuation or digits: "năm 1945, Hà Nội" pairs only "hà nội".
        for run in re.split(r"[^\w\s]|\d", text.lower()):
            syllables = LETTERS.findall(run)
            counts.update(syllables)
            counts.update(f"{a} {b}" for a, b in itertools.pairwise(syllables))
    # Function words say nothing a question asks about, alone or as half of a pair ("trong
    # năm"); nor do two-letter syllables, which fold onto many others ("vì", "về" → "vi", "ve").
    kept = [
        term
        for term, count in counts.items()
        if count >= MIN_COUNT
        and len(term) > 2
        and all(
            is_vietnamese_syllable(part) and fold(part) not in STOPWORDS for part in term.split()
        )
    ]
    kept.sort(key=lambda term: (-counts[term], term))
    return kept[:MAX_TERMS]


@dataclass(frozen=True)
class TermIndex:
    """A generation's terms and their unit vectors, row-aligned.

    The vectors are float16 on disk and float32 in memory: converting them on every question
    cost 2.6 ms at 3,840 terms, the product itself 0.06 ms.
    """

    terms: tuple[str, ...]
    vectors: np.ndarray

    @classmethod
    def build(
        cls, texts: Iterable[str], embedder: Embedder, previous: TermIndex | None = None
    ) -> TermIndex:
        """Embed the texts' terms; the ones a previous generation holds are not embedded again."""
        terms = corpus_terms(texts)
        vectors = np.zeros((len(terms), embedder.dimension), np.float32)
        known = {term: row for row, term in enumerate(previous.terms)} if previous else {}
        missing = [row for row, term in enumerate(terms) if term not in known]
        for row, term in enumerate(terms):
            if term in known and previous is not None:
                vectors[row] = previous.vectors[known[term]]
        if missing:
            fresh = embedder.embed_statements([terms[row] for row in missing])
            norms = np.linalg.norm(fresh, axis=1, keepdims=True)
            vectors[missing] = fresh / np.where(norms == 0, 1.0, norms)
        return cls(tuple(terms), vectors)

    def nearest(self, query: np.ndarray, count: int) -> list[str]:
        """The `count` terms closest to a query vector (its query form), closest first."""
        if count <= 0 or not self.terms:
            return []
        scores = self.vectors @ np.asarray(query, np.float32)
        count = min(count, len(self.terms))
        top = np.argpartition(-scores, count - 1)[:count]
        return [self.terms[i] for i in sorted(top, key=lambda i: -scores[i])]

    def __len__(self) -> int:
        return len(self.terms)
