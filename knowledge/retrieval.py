"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused, plus a relevance signal.

Fusion is reciprocal rank fusion (Cormack et al. 2009), which needs no score calibration
between the two rankers. Relevance is separate from rank: the IDF-weighted share of the
question's content words (syllables and syllable bigrams, tone marks folded) that a passage
contains. A question whose words the corpus does not hold ("thời tiết", "xổ số") scores low
whatever the rankers return, which is what lets the answer layer decline.
"""

from __future__ import annotations

import itertools
import re
import time

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.errors import KnowledgeError, StoreUnavailable
from knowledge.glossary import english_concepts, expand_query, is_english
from knowledge.lexical import LexicalIndex
from knowledge.records import Passage, SearchResult
from knowledge.store import Generation
from knowledge.text import STOPWORDS, fold, words

RRF_K = 60
# Share of coverage in the final order; the rest is the fused rank. Coverage only nudges: the
# words a question asks with ("vai trò gì") are often not the words the answer uses.
RERANK_WEIGHT = 0.1
# A name the corpus never mentions ("NATO", "Nam Cực") is strong evidence that the question is
# about something else, however many common words it shares.
UNKNOWN_NAME_FACTOR = 0.3
# Words that ask rather than say: they are not evidence that a passage answers.
QUESTION_WORDS = frozenset(
    """
    ai gi nao sao bao nhieu may dau khi luc the ngay nam thang hien nay which whom whose
    much many long
    """.split()
)


# Weights (lexical, dense) of the two rankings in the fusion, per question language, chosen
# from each retriever alone and fused (README "Quality"): on Vietnamese the multilingual
# encoder leads; an English question meets Vietnamese text better through the lexicon than
# through the encoder's cross-lingual similarity.
FUSION_WEIGHTS = {"vi": (0.5, 1.0), "en": (1.0, 0.3)}


_NAME_OR_NUMBER = re.compile(r"\b(?:[A-ZĐ][A-ZĐ0-9]+|\d[\d./-]*)\b")
Concept = tuple[str, ...]  # alternative folded spellings of one term of the question


def question_concepts(text: str, glossary: bool = True) -> tuple[list[Concept], list[Concept]]:
    """The question's terms, as (single words, word pairs), each with its alternatives.

    Vietnamese: content syllables and adjacent syllable pairs. English: the terms of the
    domain lexicon, each with its Vietnamese equivalents, and the other content words
    (without the lexicon: the English words alone).
    """
    if is_english(text):
        if not glossary:
            plain: list[Concept] = [
                (w,) for w in words(text) if w not in STOPWORDS | QUESTION_WORDS
            ]
            return plain, []
        return [alts for _, alts in english_concepts(text)], []
    syllables = words(text)
    skip = STOPWORDS | QUESTION_WORDS
    # Names and numbers ("ESCAP", "2024") are words on their own, never half of a compound.
    whole = {fold(t) for t in _NAME_OR_NUMBER.findall(text)}
    unigrams: list[Concept] = [(w,) for w in dict.fromkeys(syllables) if w not in skip]
    bigrams: list[Concept] = [
        (f"{a} {b}",)
        for a, b in dict.fromkeys(itertools.pairwise(syllables))
        if not ({a, b} & (skip | whole))
    ]
    return unigrams, bigrams


_TOKEN = re.compile(r"\w+(?:[-./]\w+)*")


def question_names(text: str) -> list[str]:
    """Runs of title-case words ("Nam Cực", "Bùi Thanh Sơn") and acronyms ("NATO") in a question.

    A single capitalised word that opens the question is sentence case, not a name.
    """
    names: list[list[str]] = []
    previous_end = -1
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if not token[0].isupper():
            previous_end = -1
            continue
        gap = text[previous_end : match.start()] if previous_end >= 0 else ""
        # Title-case words run together ("Bùi Thanh Sơn"); an acronym stands alone ("UNIDO").
        joins = not token.isupper() and not names[-1][-1].isupper() if names else False
        if previous_end >= 0 and gap.strip() == "" and joins:
            names[-1].append(token)
        else:
            names.append([token])
        previous_end = match.end()
    first = _TOKEN.search(text)
    return [
        " ".join(run)
        for run in names
        if len(run) > 1 or run[0].isupper() or not (first and run[0] == first.group(0))
    ]


def unknown_names(text: str, lexical: LexicalIndex) -> list[str]:
    """Names in the question that no passage of the corpus holds.

    A name that opens the question may carry the sentence's first word ("Theo Hawking", "Ngoài
    Kuala Lumpur"): the rest of the run counts. A long one-word name with a typing slip
    ("Stephan", "Westminter") counts as known when the corpus has the word it was meant to be.
    """
    english = is_english(text)
    # Capitalised words of a lexicon phrase ("Statement of Intent") are not names.
    phrases = " | ".join(key for key, _ in english_concepts(text) if " " in key) if english else ""
    first = _TOKEN.search(text)
    unknown = []
    for name in question_names(text):
        if english and fold(name) in phrases:
            continue
        # An English name counts as known in any of its Vietnamese forms ("Vietnam").
        spellings = [name]
        if first and name.startswith(first.group(0) + " "):
            spellings.append(name[len(first.group(0)) + 1 :])
        if english:
            spellings += [alt for _, alts in english_concepts(name) for alt in alts]
        if not any(_known(words(spelling), lexical) for spelling in spellings):
            unknown.append(name)
    return unknown


def _known(parts: list[str], lexical: LexicalIndex) -> bool:
    if len(parts) == 1:
        return lexical.knows_spelling(parts[0])
    tokens = [f"{a}_{b}" for a, b in itertools.pairwise(parts)]
    return bool(tokens) and all(lexical.knows(token) for token in tokens)


def coverage(
    concepts: tuple[list[Concept], list[Concept]], passage: str, lexical: LexicalIndex
) -> float:
    """IDF-weighted share of the question's terms that the passage contains (0..1).

    Single words and word pairs count half each: a pair ("thời tiết") is evidence that a
    syllable ("thời") is used in the question's sense.
    """
    text = f" {' '.join(words(passage))} "

    def weight(concept: Concept) -> float:
        # The spelling the corpus uses most decides how telling a term is.
        return min(sum(lexical.idf(w) for w in alt.split()) / len(alt.split()) for alt in concept)

    def share(concepts: list[Concept]) -> float:
        weights = [weight(c) for c in concepts]
        total = sum(weights)
        found = sum(
            w
            for c, w in zip(concepts, weights, strict=True)
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
    mode: str = "hybrid",
    glossary: bool = True,
) -> SearchResult:
    """The `k` best passages for `query`, fused, with per-passage and overall relevance.

    `mode` "dense" or "lexical" ranks by that retriever alone (no fusion, no rerank), to
    measure each part; relevance is computed the same way in every mode. `glossary` expands
    English questions with the English→Vietnamese lexicon (`knowledge/glossary.py`).
    """
    timings: dict[str, float] = {}
    n = len(generation.chunks)
    if n == 0 or not query.strip():
        return SearchResult(query=query, passages=[], relevance=0.0, timings_ms=timings)
    candidates = min(n, max(4 * k, 30))

    started = time.perf_counter()
    lexical_query = expand_query(query) if glossary else query
    lexical_hits = generation.lexical.search(lexical_query, candidates)
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
    sentence_scores: dict[int, np.ndarray] = {}
    if generation.sentences is not None:
        # A chunk is as close to the question as its closest sentence; lexical candidates are
        # scored too, so that the dense side judges every passage either ranker proposed.
        query_vector = np.asarray(vector, dtype=np.float32)
        for row in dict.fromkeys([row for row, _ in dense_hits + lexical_hits]):
            sentence_scores[row] = generation.sentences.similarities(row, query_vector)
        dense_hits = sorted(
            ((row, float(scores.max(initial=-1.0))) for row, scores in sentence_scores.items()),
            key=lambda hit: -hit[1],
        )[:candidates]
    timings["sentences"] = (time.perf_counter() - started) * 1000 - timings["dense"]

    language = "en" if is_english(query) else "vi"
    weights = {"hybrid": FUSION_WEIGHTS[language], "dense": (0.0, 1.0), "lexical": (1.0, 0.0)}
    lexical_weight, dense_weight = weights[mode]
    fused: dict[int, float] = {}
    for rank, (row, _) in enumerate(lexical_hits if lexical_weight else []):
        fused[row] = fused.get(row, 0.0) + lexical_weight / (RRF_K + rank + 1)
    for rank, (row, _) in enumerate(dense_hits if dense_weight else []):
        fused[row] = fused.get(row, 0.0) + dense_weight / (RRF_K + rank + 1)
    lexical_score = dict(lexical_hits)
    dense_score = dict(dense_hits)
    # Rerank a pool of the fused best by how much of the question each passage covers:
    # rank fusion finds the topic, coverage prefers the passage that states the asked thing.
    pool = sorted(fused, key=lambda row: -fused[row])[: 3 * k]
    concepts = question_concepts(query, glossary)
    covered = {
        row: coverage(concepts, generation.chunks[row].text, generation.lexical) for row in pool
    }
    top_fused = max(fused[row] for row in pool) if pool else 1.0
    rerank = RERANK_WEIGHT if mode == "hybrid" else 0.0
    final = {row: (1 - rerank) * fused[row] / top_fused + rerank * covered[row] for row in pool}
    passages = [
        Passage(
            chunk=generation.chunks[row],
            score=final[row],
            relevance=covered[row],
            dense_score=dense_score.get(row),
            lexical_score=lexical_score.get(row),
            sentence_scores=tuple(float(x) for x in sentence_scores.get(row, ())),
        )
        for row in sorted(pool, key=lambda row: -final[row])[:k]
    ]
    relevance = max((p.relevance for p in passages), default=0.0)
    if unknown_names(query, generation.lexical):
        relevance *= UNKNOWN_NAME_FACTOR
    return SearchResult(query=query, passages=passages, relevance=relevance, timings_ms=timings)
