from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application
from telegram_fakes import FakeAnswerer, FakeKnowledge

from bot.cli import main
from bot.settings import Settings
from bot.telegram import build_application, run_application


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_token": "123456789:AAH-token",
        "knowledge_dir": tmp_path / "k",
        "chroma_path": tmp_path / "c",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_run_without_token_says_how_to_set_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIPLOBOT_TELEGRAM_TOKEN", "")
    assert main(["run"]) == 2
    assert "DIPLOBOT_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_build_application_refuses_a_missing_token(tmp_path: Path) -> None:
    knowledge = FakeKnowledge()
    with pytest.raises(ValueError, match="DIPLOBOT_TELEGRAM_TOKEN"):
        build_application(
            settings(tmp_path, telegram_token=None), FakeAnswerer(knowledge), knowledge
        )


def test_webhook_mode_with_secret_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: calls.update(kw))
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.update(polling=1))
    config = settings(
        tmp_path,
        webhook_url="https://bot.example.vn/tg/hook",
        webhook_secret="s3cret-Token_1",
        webhook_port=8443,
    )
    knowledge = FakeKnowledge()
    application = build_application(config, FakeAnswerer(knowledge), knowledge)
    assert run_application(application, config) == 0
    assert calls["secret_token"] == "s3cret-Token_1"
    assert calls["webhook_url"] == "https://bot.example.vn/tg/hook"
    assert calls["url_path"] == "tg/hook" and calls["port"] == 8443
    assert "polling" not in calls


def test_polling_mode_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.update(kw))
    knowledge = FakeKnowledge()
    config = settings(tmp_path)
    assert (
        run_application(build_application(config, FakeAnswerer(knowledge), knowledge), config) == 0
    )
    assert "allowed_updates" in calls
