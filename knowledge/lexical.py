"""The lexical index: BM25 (bm25s) over folded Vietnamese syllables and syllable bigrams.

Built once with each index generation and saved beside it; a query only tokenizes and scores.
"""

from __future__ import annotations

import json
import math
from collections import Counter
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
        self._by_length: dict[int, list[str]] | None = None  # built on first typo check

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        # Token ids, not token strings: bm25s would otherwise hold both, and the strings of a
        # 100k-chunk corpus alone take gigabytes (peak 660 → 290 MB at 20k chunks).
        vocab: dict[str, int] = {}
        corpus: list[list[int]] = []
        counts: Counter[int] = Counter()
        for text in texts:
            row = [vocab.setdefault(token, len(vocab)) for token in lexical_tokens(text)]
            counts.update(set(row))
            corpus.append(row)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            retriever.index((corpus, vocab), show_progress=False)
        else:
            retriever.index([[""]], show_progress=False)
        doc_freq = {token: counts[row] for token, row in vocab.items()}
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

    def knows(self, token: str) -> bool:
        """Whether any chunk holds the token."""
        return token in self._doc_freq

    def knows_spelling(self, word: str) -> bool:
        """Whether the corpus holds `word` or, for a word of six letters or more, a word one
        typing slip away (a letter missing, added, changed or two swapped: "Hawing", "Westminter").
        """
        if word in self._doc_freq:
            return True
        if len(word) < 6:
            return False
        if self._by_length is None:
            by_length: dict[int, list[str]] = {}
            for token in self._doc_freq:
                if "_" not in token and token.isalpha():
                    by_length.setdefault(len(token), []).append(token)
            self._by_length = by_length
        return any(
            one_slip_apart(word, known)
            for size in (len(word) - 1, len(word), len(word) + 1)
            for known in self._by_length.get(size, ())
            if known[0] == word[0] or known[-1] == word[-1]
        )

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


def one_slip_apart(a: str, b: str) -> bool:
    """Whether two different words differ by one edit or one swap of neighbouring letters."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) < len(b):  # one letter added
        return a[start:] == b[start + 1 :]
    if a[start + 1 :] == b[start + 1 :]:  # one letter changed
        return True
    return a[start : start + 2] == b[start : start + 2][::-1] and a[start + 2 :] == b[start + 2 :]
