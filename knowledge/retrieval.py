"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused, plus a relevance signal.

Fusion is reciprocal rank fusion (Cormack et al. 2009), which needs no score calibration
between the two rankers. Relevance is separate from rank: the IDF-weighted share of the
question's content words (syllables and syllable bigrams, tone marks folded) that a passage
contains. A question whose words the corpus does not hold ("thời tiết", "xổ số") scores low
whatever the rankers return, which is what lets the answer layer decline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.errors import KnowledgeError, StoreUnavailable
from knowledge.glossary import english_concepts, expand_query, is_english
from knowledge.lexical import LexicalIndex
from knowledge.records import Passage, SearchResult
from knowledge.store import Generation
from knowledge.text import STOPWORDS, words

RRF_K = 60
# Words that ask rather than say: they are not evidence that a passage answers.
QUESTION_WORDS = frozenset(
    """
    ai gi nao sao bao nhieu may dau khi luc the ngay nam thang hien nay
    which whom whose much many long
    """.split()
)


@dataclass(frozen=True)
class RetrievalWeights:
    """Weights of the two rankings in the fusion; lexical leads because the offline encoder
    is English-only, while a multilingual model can be given more weight."""

    lexical: float = 1.0
    dense: float = 0.7


Concept = tuple[str, ...]  # alternative folded spellings of one term of the question


def question_concepts(text: str) -> tuple[list[Concept], list[Concept]]:
    """The question's terms, as (single words, word pairs), each with its alternatives.

    Vietnamese: content syllables and adjacent syllable pairs. English: the terms of the
    domain lexicon, each with its Vietnamese equivalents, and the other content words.
    """
    if is_english(text):
        return [alts for _, alts in english_concepts(text)], []
    syllables = words(text)
    skip = STOPWORDS | QUESTION_WORDS
    unigrams = [(w,) for w in dict.fromkeys(syllables) if w not in skip]
    bigrams = [
        (f"{a} {b}",)
        for a, b in dict.fromkeys(zip(syllables, syllables[1:], strict=False))
        if not {a, b} <= skip
    ]
    return unigrams, bigrams


def coverage(concepts: tuple[list[Concept], list[Concept]], passage: str,
             lexical: LexicalIndex) -> float:
    """IDF-weighted share of the question's terms that the passage contains (0..1).

    Single words and word pairs count half each: a pair ("thời tiết") is evidence that a
    syllable ("thời") is used in the question's sense.
    """
    text = f" {' '.join(words(passage))} "

    def weight(concept: Concept) -> float:
        # The spelling the corpus uses most decides how telling a term is.
        return min(
            sum(lexical.idf(w) for w in alt.split()) / len(alt.split()) for alt in concept
        )

    def share(concepts: list[Concept]) -> float:
        weights = [weight(c) for c in concepts]
        total = sum(weights)
        found = sum(
            w for c, w in zip(concepts, weights, strict=True)
            if any(f" {alt} " in text for alt in c)
        )
        return found / total if total else 0.0

    singles, pairs = concepts
    if not singles:
        return 0.0
    if not pairs:
        return share(singles)
    return 0.5 * share(singles) + 0.5 * share(pairs)


def hybrid_search(
    generation: Generation,
    embedder: Embedder,
    query: str,
    k: int,
    weights: RetrievalWeights = RetrievalWeights(),
) -> SearchResult:
    """The `k` best passages for `query`, fused, with per-passage and overall relevance."""
    timings: dict[str, float] = {}
    n = len(generation.chunks)
    if n == 0 or not query.strip():
        return SearchResult(query=query, passages=[], relevance=0.0, timings_ms=timings)
    candidates = min(n, max(4 * k, 30))

    started = time.perf_counter()
    lexical_hits = generation.lexical.search(expand_query(query), candidates)
    timings["lexical"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    vector = embedder.embed_query(query)
    timings["embed"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    try:
        found = generation.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=candidates,
            include=["distances"],
        )
    except KnowledgeError:
        raise
    except Exception as error:
        raise StoreUnavailable(
            "the vector store cannot be reached right now; please try again in a moment"
        ) from error
    timings["dense"] = (time.perf_counter() - started) * 1000
    dense_hits = [
        (generation.row_of[chunk_id], 1.0 - float(distance))
        for chunk_id, distance in zip(found["ids"][0], found["distances"][0], strict=True)
        if chunk_id in generation.row_of
    ]

    fused: dict[int, float] = {}
    for rank, (row, _) in enumerate(lexical_hits):
        fused[row] = fused.get(row, 0.0) + weights.lexical / (RRF_K + rank + 1)
    for rank, (row, _) in enumerate(dense_hits):
        fused[row] = fused.get(row, 0.0) + weights.dense / (RRF_K + rank + 1)
    lexical_score = dict(lexical_hits)
    dense_score = dict(dense_hits)
    # Rerank a pool of the fused best by how much of the question each passage covers:
    # rank fusion finds the topic, coverage prefers the passage that states the asked thing.
    pool = sorted(fused, key=lambda row: -fused[row])[: 3 * k]
    concepts = question_concepts(query)
    covered = {
        row: coverage(concepts, generation.chunks[row].text, generation.lexical) for row in pool
    }
    top_fused = max(fused[row] for row in pool) if pool else 1.0
    final = {row: 0.5 * fused[row] / top_fused + 0.5 * covered[row] for row in pool}
    passages = [
        Passage(
            chunk=generation.chunks[row],
            score=final[row],
            relevance=covered[row],
            dense_score=dense_score.get(row),
            lexical_score=lexical_score.get(row),
        )
        for row in sorted(pool, key=lambda row: -final[row])[:k]
    ]
    relevance = max((p.relevance for p in passages), default=0.0)
    return SearchResult(query=query, passages=passages, relevance=relevance, timings_ms=timings)
