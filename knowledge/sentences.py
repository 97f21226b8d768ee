"""Sentence vectors: what the encoder embeds, and how chunks and answers use them.

Ingest embeds each distinct sentence of an article once (the sentence a chunk repeats from the
one before is not embedded twice) instead of each chunk. Measured on UIT-ViQuAD (1,032 chunks,
multilingual-e5-small, dense retrieval alone, first 2,000 characters): a chunk scored by its
best sentence found 0.880 of the answers against 0.868 for whole-chunk vectors, and the
sentences are 27% fewer characters to encode than the chunks. The answer layer gets each
sentence's similarity to the question for free, which is how the extractive backend picks the
sentence that answers (ranked first: 0.74 → 0.77 on 269 questions of the same set).

A chunk's own vector, for Chroma's first-stage search, is the length-weighted mean of its
sentences' vectors and its title's; candidates are then scored by their best sentence.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from knowledge.chunking import split_sentences
from knowledge.embeddings import Embedder
from knowledge.records import Chunk

# A title counts as this many characters of text in a chunk's mean vector: enough to give a
# chunk from the middle of an article its topic (0.813 → 0.823 in the measurement above).
TITLE_WEIGHT_CHARS = 100
BATCH = 64  # texts per encoder call, and the step of the progress callback
# The corpus's spread of similarity is estimated from at most this many sentences, in SPREAD_RUNS
# evenly spaced runs: a statistic of the whole corpus, not of any sentence (100k chunks: 0.5M).
SPREAD_SAMPLE = 20_000
SPREAD_RUNS = 40


def chunk_sentences(text: str) -> list[str]:
    """The sentences of a chunk, in order (lines first, then sentence ends)."""
    return [
        sentence
        for line in text.split("\n")
        if line.strip()
        for sentence in split_sentences(line)
        if sentence.strip()
    ]


@dataclass(frozen=True)
class SentenceIndex:
    """Sentence vectors of a generation, row-aligned with its chunks.

    Chunk row r owns the vectors `vectors[offsets[r]:offsets[r + 1]]`, one per sentence of
    `chunk_sentences(chunk.text)`; a sentence shared by two chunks is stored for each.
    """

    vectors: np.ndarray  # (sentences, dimension), float16 on disk
    offsets: np.ndarray  # (chunks + 1,), int64

    @classmethod
    def empty(cls, dimension: int) -> SentenceIndex:
        return cls(np.zeros((0, dimension), np.float16), np.zeros(1, np.int64))

    def similarities(self, row: int, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of each sentence of chunk `row` to the query vector."""
        block = np.asarray(self.vectors[self.offsets[row] : self.offsets[row + 1]], np.float32)
        return block @ query

    def spread(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's similarity over every sentence.

        Exact from the sentences' mean vector and covariance (q·μ and √(qᵀΣq)), so no pass over
        the corpus per question; (0, 0) for an empty index.
        """
        moments = self._moments
        if moments is None:
            return 0.0, 0.0
        mean, covariance = moments
        variance = float(query @ covariance @ query)
        return float(query @ mean), math.sqrt(max(variance, 0.0))

    @cached_property
    def _moments(self) -> tuple[np.ndarray, np.ndarray] | None:
        count = len(self.vectors)
        if count < 2:
            return None
        # Evenly spaced runs of rows, not a stride: a run reads a few pages of the memory-mapped
        # vectors where a stride would page in most of the file.
        runs, length = (1, count) if count <= SPREAD_SAMPLE else (SPREAD_RUNS, SPREAD_SAMPLE)
        length = min(count, max(2, length // runs))
        starts = np.linspace(0, count - length, runs).astype(int)
        dimension = self.vectors.shape[1]
        total = np.zeros(dimension)
        products = np.zeros((dimension, dimension))
        rows = 0
        for start in dict.fromkeys(starts.tolist()):
            block = np.asarray(self.vectors[start : start + length], np.float64)
            total += block.sum(axis=0)
            products += block.T @ block
            rows += len(block)
        mean = total / rows
        covariance = (products - rows * np.outer(mean, mean)) / max(rows - 1, 1)
        return mean.astype(np.float32), covariance.astype(np.float32)

    def take(self, rows: Sequence[int]) -> SentenceIndex:
        """The sentence vectors of some chunk rows, in that order."""
        return concat(
            [
                SentenceIndex(
                    np.asarray(self.vectors[self.offsets[r] : self.offsets[r + 1]], np.float16),
                    np.array([0, self.offsets[r + 1] - self.offsets[r]], np.int64),
                )
                for r in rows
            ],
            self.vectors.shape[1],
        )


def concat(parts: Sequence[SentenceIndex], dimension: int) -> SentenceIndex:
    """Indexes of consecutive chunk rows joined into one."""
    parts = [p for p in parts if len(p.offsets) > 1]
    if not parts:
        return SentenceIndex.empty(dimension)
    offsets = [np.zeros(1, np.int64)]
    base = 0
    for part in parts:
        offsets.append(part.offsets[1:] + base)
        base += int(part.offsets[-1])
    return SentenceIndex(
        np.concatenate([np.asarray(p.vectors, np.float16) for p in parts]),
        np.concatenate(offsets),
    )


def embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, SentenceIndex]:
    """Embed the chunks' distinct sentences (and titles); chunk vectors and sentence index.

    `progress(done, total)` counts chunks whose sentences are embedded.
    """
    dimension = embedder.dimension
    per_chunk = [chunk_sentences(c.text) or [c.text] for c in chunks]
    distinct: dict[tuple[str, str], int] = {}
    for chunk, sentences in zip(chunks, per_chunk, strict=True):
        for sentence in sentences:
            distinct.setdefault((chunk.meta.doc_id, sentence), len(distinct))
    titles: dict[str, int] = {}
    for chunk in chunks:
        if chunk.meta.title.strip():
            titles.setdefault(chunk.meta.title, len(titles))
    texts = [sentence for _, sentence in distinct] + list(titles)
    # Chunks are reported done once every sentence up to their last one is embedded.
    last_of_chunk = sorted(
        max(distinct[(c.meta.doc_id, s)] for s in sentences)
        for c, sentences in zip(chunks, per_chunk, strict=True)
    )
    vectors = np.zeros((len(texts), dimension), np.float32)
    for start in range(0, len(texts), BATCH):
        batch = texts[start : start + BATCH]
        vectors[start : start + len(batch)] = embedder.embed_passages(batch)
        if progress is not None:
            progress(bisect.bisect_left(last_of_chunk, start + len(batch)), len(chunks))
    chunk_vectors = np.zeros((len(chunks), dimension), np.float32)
    rows: list[int] = []
    offsets = [0]
    for index, (chunk, sentences) in enumerate(zip(chunks, per_chunk, strict=True)):
        own = [distinct[(chunk.meta.doc_id, s)] for s in sentences]
        weights = np.array([len(s) for s in sentences], np.float32)
        mean = weights @ vectors[own]
        if chunk.meta.title in titles:
            mean = mean + TITLE_WEIGHT_CHARS * vectors[len(distinct) + titles[chunk.meta.title]]
        norm = float(np.linalg.norm(mean))
        chunk_vectors[index] = mean / norm if norm else mean
        rows.extend(own)
        offsets.append(len(rows))
    return chunk_vectors, SentenceIndex(
        vectors[rows].astype(np.float16), np.asarray(offsets, np.int64)
    )
