"""The corpus's embedded Vietnamese terms: what is kept, what an English question finds, reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import KnowledgeBase
from knowledge.embeddings import Embedder
from knowledge.terms import MIN_COUNT, TermIndex, corpus_terms

TOPICS = (
    "Dân số của thành phố tăng nhanh. Dân số thành phố năm đó vượt một triệu người. "
    "Trường đại học được thành lập bởi nhà vua. Đại học này là trường đại học lâu đời nhất. "
    "Quân đội của nhà vua chiếm pháo đài. Quân đội rút lui sau trận đánh. "
    "Bệnh dịch lan khắp thành phố. Bệnh dịch giết nửa dân số. Dân số giảm vì bệnh dịch. "
    "Quân đội và đại học đều lớn."
)


def test_recurring_vietnamese_terms_are_kept_and_function_words_and_strays_are_not():
    terms = corpus_terms([TOPICS, "Football football football, trong năm trong năm trong năm."])
    assert {"dân số", "đại học", "quân đội", "bệnh dịch", "thành phố"} <= set(terms)
    assert "pháo đài" not in terms  # seen once: fewer than MIN_COUNT times
    assert "football" not in terms  # not a Vietnamese syllable
    assert "trong năm" not in terms and "trong" not in terms  # a function word, alone or paired
    # Pairs do not straddle punctuation: "tăng nhanh. Dân số" pairs no "nhanh dân".
    assert "nhanh dân" not in terms
    assert all(len(term) > 2 for term in terms)
    # "quân đội" occurs exactly MIN_COUNT times; one fewer and it is a stray.
    assert TOPICS.lower().count("quân đội") == MIN_COUNT and "quân đội" in terms
    assert "quân đội" not in corpus_terms([TOPICS.replace("Quân đội và", "Và", 1)])


def test_an_english_question_finds_the_corpus_terms_it_asks_about(embedder: Embedder):
    index = TermIndex.build([TOPICS], embedder)
    assert len(index) > 0
    assert np.allclose(np.linalg.norm(np.asarray(index.vectors, np.float32), axis=1), 1, atol=1e-2)
    cases = {
        "What was the population of the city?": "dân số",
        "Who founded the university?": "đại học",
        "What did the army capture?": "quân đội",
    }
    for question, term in cases.items():
        nearest = index.nearest(embedder.embed_query(question), 2)
        assert term in nearest, (question, nearest)
    assert index.nearest(embedder.embed_query("anything"), 0) == []


def test_a_reingest_embeds_only_the_terms_it_has_not_seen(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
):
    before = kb.generation.terms
    assert before is not None and len(before) > 100
    embedded: list[str] = []
    original = kb.embedder.embed_statements

    def counting(texts):
        embedded.extend(texts)
        return original(texts)

    monkeypatch.setattr(kb.embedder, "embed_statements", counting)
    (Path(kb.settings.knowledge_dir) / "plague.txt").write_text(
        "Bệnh dịch hạch\n" + TOPICS, encoding="utf-8"
    )
    kb.sync()
    after = kb.generation.terms
    assert after is not None and "bệnh dịch" in after.terms
    new = set(after.terms) - set(before.terms)
    assert new and sorted(embedded) == sorted(new)
    # Kept terms keep their vectors.
    row = before.terms.index("việt nam")
    np.testing.assert_array_equal(after.vectors[after.terms.index("việt nam")], before.vectors[row])


def test_questions_carry_the_corpus_terms_nearest_them(seed_kb):
    english = seed_kb.search("Who led the Vietnamese delegation?").passages
    assert english and "dan dau" in english[0].corpus_terms  # "led" → "dẫn đầu", folded
    assert all(p.corpus_terms == english[0].corpus_terms for p in english)
    # One per content word ("led", "vietnamese", "delegation").
    assert len(english[0].corpus_terms) == 3
    vietnamese = seed_kb.search("Ai dẫn đầu đoàn Việt Nam?").passages
    assert vietnamese and "dan dau" in vietnamese[0].corpus_terms


def test_a_generation_built_before_terms_still_serves_english_questions(kb: KnowledgeBase):
    folder = kb.generation.folder
    name = kb.generation.name
    kb.close()
    (folder / "terms.json").unlink()
    (folder / "term_vectors.npy").unlink()
    reopened = KnowledgeBase.open(kb.settings, embedder=kb.embedder, auto_ingest=False)
    try:
        assert reopened.generation is not None and reopened.generation.name == name
        assert reopened.generation.terms is None
        passages = reopened.search("Who led the Vietnamese delegation?").passages
        assert passages and all(not p.corpus_terms for p in passages)
    finally:
        reopened.close()
