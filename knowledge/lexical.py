"""The lexical index: BM25 (bm25s) over folded Vietnamese syllables and syllable bigrams.

Built once with each index generation and saved beside it; a query only tokenizes and scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from knowledge.text import lexical_tokens


class LexicalIndex:
    """BM25 over chunk texts; rows are positions in the generation's chunk list."""

    def __init__(self, retriever: bm25s.BM25, doc_freq: dict[str, int], n_docs: int) -> None:
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict
        self._doc_freq = doc_freq
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        corpus = [lexical_tokens(text) for text in texts]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(corpus or [[""]], show_progress=False)
        doc_freq: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                doc_freq[token] = doc_freq.get(token, 0) + 1
        return cls(retriever, doc_freq, len(corpus))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(folder), show_progress=False)
        (folder / "doc_freq.json").write_text(
            json.dumps({"n_docs": self.n_docs, "doc_freq": self._doc_freq}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        stats = json.loads((folder / "doc_freq.json").read_text(encoding="utf-8"))
        return cls(retriever, stats["doc_freq"], int(stats["n_docs"]))

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token the corpus never uses gets the highest."""
        df = self._doc_freq.get(token, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Rows and BM25 scores of the best `k` chunks (score > 0), best first."""
        tokens = [t for t in lexical_tokens(query) if t in self._vocab]
        if not tokens or self.n_docs == 0:
            return []
        scores = self._retriever.get_scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(row), float(scores[row])) for row in top if scores[row] > 0]
