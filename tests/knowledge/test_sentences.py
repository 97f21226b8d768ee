"""Sentence vectors: each distinct sentence embedded once, chunks scored by their best one."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embeddings import HashingEmbedder
from knowledge.records import ArticleMeta, Chunk
from knowledge.sentences import SentenceIndex, chunk_sentences, concat, embed_chunks


def chunk(doc: str, position: int, text: str, title: str = "Tiêu đề") -> Chunk:
    meta = ArticleMeta(doc_id=doc, title=title)
    return Chunk(f"{doc}:{position}", meta, position, text, "h")


def test_chunk_sentences_split_lines_and_sentence_ends():
    text = "Câu một về ESCAP. Câu hai về UNIDO!\n\n- Một dòng gạch đầu dòng\nCâu cuối."
    assert chunk_sentences(text) == [
        "Câu một về ESCAP.",
        "Câu hai về UNIDO!",
        "- Một dòng gạch đầu dòng",
        "Câu cuối.",
    ]


def test_a_sentence_two_chunks_share_is_embedded_once():
    embedder = HashingEmbedder(64)
    chunks = [
        chunk("a", 0, "ESCAP thành lập năm 1947. Trụ sở ở Bangkok."),
        chunk("a", 1, "Trụ sở ở Bangkok. Việt Nam là thành viên."),  # the overlap sentence
        chunk("b", 0, "Trụ sở ở Bangkok. UNIDO ở Vienna."),  # same words, another article
    ]
    vectors, sentences = embed_chunks(chunks, embedder)
    # Article a: 3 distinct sentences; article b: 2; and the one title they share.
    assert embedder.passages_embedded == 3 + 2 + 1
    assert vectors.shape == (3, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert list(sentences.offsets) == [0, 2, 4, 6]
    query = embedder.embed_query("Việt Nam là thành viên")
    scores = sentences.similarities(1, query)
    assert scores.shape == (2,) and int(np.argmax(scores)) == 1


def test_progress_counts_chunks():
    seen: list[tuple[int, int]] = []
    chunks = [chunk("a", n, f"Câu số {n} của bài.") for n in range(130)]
    embed_chunks(chunks, HashingEmbedder(16), lambda done, total: seen.append((done, total)))
    assert seen[-1] == (130, 130)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_taking_and_joining_rows_keeps_each_chunks_sentences():
    embedder = HashingEmbedder(32)
    texts = ["Câu một.", "Câu hai. Câu ba.", "Câu bốn. Câu năm. Câu sáu.", "Câu bảy."]
    chunks = [chunk("a", n, text) for n, text in enumerate(texts)]
    _, sentences = embed_chunks(chunks, embedder)
    taken = sentences.take([3, 1])
    joined = concat([taken, SentenceIndex.empty(32), sentences.take([0])], 32)
    for new_row, old_row in enumerate([3, 1, 0]):
        np.testing.assert_array_equal(
            joined.vectors[joined.offsets[new_row] : joined.offsets[new_row + 1]],
            sentences.vectors[sentences.offsets[old_row] : sentences.offsets[old_row + 1]],
        )
    assert len(SentenceIndex.empty(8).offsets) == 1


def test_the_spread_of_similarity_over_the_corpus_is_exact(monkeypatch):
    embedder = HashingEmbedder(32)
    texts = [f"Câu số {n} nói về ESCAP và UNIDO, năm {1940 + n}." for n in range(40)]
    _, sentences = embed_chunks([chunk("a", n, t) for n, t in enumerate(texts)], embedder)
    query = embedder.embed_query("ESCAP thành lập năm nào?")
    every = np.asarray(sentences.vectors, np.float32) @ query
    mean, spread = sentences.spread(query)
    # np.cov divides by n - 1, as the sample standard deviation does.
    assert mean == pytest.approx(float(every.mean()), abs=1e-5)
    assert spread == pytest.approx(float(every.std(ddof=1)), rel=1e-3)
    assert SentenceIndex.empty(32).spread(query) == (0.0, 0.0)
    # A large corpus is estimated from evenly spaced sentences: still near the exact figures.
    monkeypatch.setattr("knowledge.sentences.SPREAD_SAMPLE", 10)
    _, fresh = embed_chunks([chunk("a", n, t) for n, t in enumerate(texts)], embedder)
    sampled_mean, sampled_spread = fresh.spread(query)
    assert sampled_mean == pytest.approx(mean, abs=0.05)
    assert 0.3 * spread < sampled_spread < 3 * spread
