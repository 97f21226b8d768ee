"""Fixtures for the answer layer's tests (helpers live in answer_fakes.py)."""

from __future__ import annotations

import pytest
from answer_fakes import ESCAP_TEXT, UNOSSC_TEXT, make_passage

from bot.settings import Settings
from knowledge.records import Passage


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, llm_timeout=2.0, llm_max_retries=0)


@pytest.fixture
def escap_passages() -> list[Passage]:
    return [
        make_passage(UNOSSC_TEXT, "004_unossc", "UNOSSC tại HLPF", 0.5),
        make_passage(ESCAP_TEXT, "002_escap", "ESCAP", 0.8, 3, "https://example.org/escap"),
    ]
