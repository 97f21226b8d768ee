"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused, plus a relevance signal.

Fusion is reciprocal rank fusion (Cormack et al. 2009), which needs no score calibration
between the two rankers, weighted per question language. The encoder meets an English question
with its language step taken back (`knowledge/crosslingual.py`), and a Vietnamese one typed
without marks with its marks restored (`knowledge/diacritics.py`).

Relevance is separate from rank: the estimated chance that the passages answer, from the
evidence of both sides (`Evidence`): how
far the encoder's closest sentence stands out from the question's other candidates (meaning,
cross-lingual by construction), how much of the question one sentence holds (names, numbers,
rare words: IDF-weighted), names the corpus never mentions, and whether BM25 found the same
passage. A logistic model per language (`knowledge/relevance.py`, with its weights for each
encoder) turns it into one number the answer layer compares with its threshold.
"""

from __future__ import annotations

import itertools
import re
import time

import numpy as np

from knowledge.crosslingual import english_offset, towards_vietnamese
from knowledge.embeddings import Embedder
from knowledge.errors import KnowledgeError, StoreUnavailable
from knowledge.glossary import english_concepts, expand_query
from knowledge.language import is_english, lacks_marks, question_language
from knowledge.lexical import LexicalIndex
from knowledge.records import Passage, SearchResult
from knowledge.relevance import KEYWORD_WORDS, Evidence, fitted_weights, relevance_of
from knowledge.sentences import chunk_sentences
from knowledge.store import Generation
from knowledge.text import STOPWORDS, fold, words

RRF_K = 60
# Share of coverage in the final order; the rest is the fused rank. Coverage only nudges: the
# words a question asks with ("vai trò gì") are often not the words the answer uses.
RERANK_WEIGHT = 0.1
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
FUSION_WEIGHTS = {"vi": (0.5, 1.0), "en": (0.1, 1.0)}
# The lexicon speaks for an English question only when it translates at least this share of the
# question's terms (the question is in its domain: 2% of XQuAD's English questions, most of the
# seeds' ones); the lexical side then gets up to this much more weight.
LEXICON_SHARE = 0.5
LEXICON_WEIGHT = 0.9


def lexicon_share(query: str) -> float:
    """The share of an English question's terms that the lexicon puts into Vietnamese."""
    concepts = english_concepts(query)
    return sum(len(alts) > 1 for _, alts in concepts) / max(len(concepts), 1)


def fusion_weights(query: str, language: str, glossary: bool) -> tuple[float, float]:
    """(lexical, dense) weights of the fusion for a question."""
    lexical, dense = FUSION_WEIGHTS[language]
    if language == "en" and glossary:
        share = lexicon_share(query)
        if share >= LEXICON_SHARE:
            lexical += LEXICON_WEIGHT * share
    return lexical, dense


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


def _evidence(
    generation: Generation,
    query: str,
    language: str,
    passages: list[Passage],
    lexical_hits: list[tuple[int, float]],
    top_row: int,
    concepts: tuple[list[Concept], list[Concept]],
    sentence_scores: dict[int, np.ndarray],
    query_vector: np.ndarray,
) -> Evidence:
    # A candidate is as close as its best sentence; `every` counts each sentence of them all.
    closest = sorted((float(s.max(initial=-1.0)) for s in sentence_scores.values()), reverse=True)
    every = np.concatenate(list(sentence_scores.values())) if sentence_scores else np.zeros(0)
    corpus_mean, corpus_spread = (
        generation.sentences.spread(query_vector) if generation.sentences is not None else (0, 0)
    )
    return Evidence(
        language=language,
        # The closest of all candidates: where the lexicon leads, it changes which passages
        # come back, not how close the corpus comes to the question.
        best_similarity=closest[0] if closest else 0.0,
        top_mean=float(np.mean(closest[:10])) if closest else 0.0,
        background=float(np.mean(closest)) if closest else 0.0,
        sentence_coverage=max(
            (
                coverage(concepts, sentence, generation.lexical)
                for p in passages[:3]
                for sentence in chunk_sentences(p.text)
            ),
            default=0.0,
        ),
        unknown_names=len(unknown_names(query, generation.lexical)),
        keywords=len(words(query)) <= KEYWORD_WORDS,
        agreement=next(
            (1.0 / (i + 1) for i, (row, _) in enumerate(lexical_hits) if row == top_row), 0.0
        ),
        top_sentences=float(np.sort(every)[-10:].mean()) if len(every) else 0.0,
        corpus_mean=corpus_mean,
        corpus_spread=corpus_spread,
    )


def _nearest_terms(
    generation: Generation, vector: np.ndarray, concepts: tuple[list[Concept], list[Concept]]
) -> tuple[str, ...]:
    """The corpus's terms nearest the question's vector, one per content word (folded)."""
    if generation.terms is None:
        return ()
    count = sum(1 for (word, *_) in concepts[0] if word.isalpha() and len(word) > 2)
    return tuple(fold(term) for term in generation.terms.nearest(vector, max(count, 1)))


def search_with_evidence(
    generation: Generation,
    embedder: Embedder,
    query: str,
    k: int,
    mode: str = "hybrid",
    glossary: bool = True,
    offset: bool = True,
    marks: bool = True,
) -> tuple[SearchResult, Evidence | None]:
    """The `k` best passages for `query`, fused, with per-passage and overall relevance, and the
    evidence that relevance was computed from (None: no passage).

    `mode` "dense" or "lexical" ranks by that retriever alone (no fusion, no rerank), to
    measure each part; relevance is computed the same way in every mode. `glossary` expands
    English questions with the English→Vietnamese lexicon (`knowledge/glossary.py`); `offset`
    ranks them with the encoder's language step taken back (`knowledge/crosslingual.py`);
    `marks` embeds a Vietnamese question typed without marks with them restored
    (`knowledge/diacritics.py`).
    """
    timings: dict[str, float] = {}
    n = len(generation.chunks)
    if n == 0 or not query.strip():
        return SearchResult(query=query, passages=[], relevance=0.0, timings_ms=timings), None
    candidates = min(n, max(4 * k, 30))

    started = time.perf_counter()
    # Translated terms only where the lexicon speaks for the question (see `fusion_weights`).
    expand = glossary and is_english(query) and lexicon_share(query) >= LEXICON_SHARE
    lexical_query = expand_query(query) if expand else query
    lexical_hits = generation.lexical.search(lexical_query, candidates)
    timings["lexical"] = (time.perf_counter() - started) * 1000

    asked_in = question_language(query)
    started = time.perf_counter()
    # A Vietnamese question typed without marks is embedded as the corpus spells its words: the
    # encoder reads unmarked Vietnamese poorly (`knowledge/diacritics.py`); BM25 folds anyway.
    unmarked = marks and asked_in == "vi" and lacks_marks(query)
    spelled = generation.marks().restore(query) if unmarked else query
    raw_vector = np.asarray(embedder.embed_query(spelled), dtype=np.float32)
    # An English question ranks passages and sentences as its Vietnamese translation would;
    # the decision to answer reads the raw vector, on which it was calibrated.
    step = english_offset(embedder.name) if offset and asked_in == "en" else None
    vector = towards_vietnamese(raw_vector, step)
    timings["embed"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    try:
        found = generation.collection.query(
            query_embeddings=[vector],
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
        for row in dict.fromkeys([row for row, _ in dense_hits + lexical_hits]):
            sentence_scores[row] = generation.sentences.similarities(row, vector)
        dense_hits = sorted(
            ((row, float(scores.max(initial=-1.0))) for row, scores in sentence_scores.items()),
            key=lambda hit: -hit[1],
        )[:candidates]
    timings["sentences"] = (time.perf_counter() - started) * 1000 - timings["dense"]

    # Any language but Vietnamese meets the corpus through the encoder, as English does.
    language = "vi" if asked_in == "vi" else "en"
    weights = {
        "hybrid": fusion_weights(query, language, glossary),
        "dense": (0.0, 1.0),
        "lexical": (1.0, 0.0),
    }
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
    # Coverage counts the question's own words: relevance was fitted on them, in any setting.
    concepts = question_concepts(query, glossary=False)
    covered = {
        row: coverage(concepts, generation.chunks[row].text, generation.lexical) for row in pool
    }
    corpus_terms = _nearest_terms(generation, vector, concepts)
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
            corpus_terms=corpus_terms,
        )
        for row in sorted(pool, key=lambda row: -final[row])[:k]
    ]
    if not passages:
        return SearchResult(query=query, passages=[], relevance=0.0, timings_ms=timings), None
    top_row = max(pool, key=lambda row: final[row])
    raw_scores = (
        {row: generation.sentences.similarities(row, raw_vector) for row in sentence_scores}
        if step is not None and generation.sentences is not None
        else sentence_scores
    )
    evidence = _evidence(
        generation,
        query,
        language,
        passages,
        lexical_hits,
        top_row,
        concepts,
        raw_scores,
        raw_vector,
    )
    result = SearchResult(
        query=query,
        passages=passages,
        relevance=relevance_of(evidence, fitted_weights(embedder.name)),
        timings_ms=timings,
    )
    return result, evidence
