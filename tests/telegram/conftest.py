from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_fakes import FakeAnswerer, FakeKnowledge
from telegram_harness import TOKEN, LogCapture, RunningBot, make_bot_settings, running_bot

from bot.telegram import install_secret_redaction


@pytest.fixture
def run_log() -> Iterator[LogCapture]:
    """A root handler at DEBUG, with token redaction installed as `diplobot run` does.

    httpx is turned back up to INFO afterwards, so that records with the token in their URL
    exist and the test shows the filter, not only the level, keeps it out.
    """
    root = logging.getLogger()
    capture = LogCapture()
    root.addHandler(capture)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    uninstall = install_secret_redaction([TOKEN])
    logging.getLogger("httpx").setLevel(logging.INFO)
    try:
        yield capture
    finally:
        uninstall()
        root.removeHandler(capture)
        root.setLevel(old_level)
        logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def knowledge() -> FakeKnowledge:
    return FakeKnowledge()


@pytest.fixture
def answerer(knowledge: FakeKnowledge) -> FakeAnswerer:
    return FakeAnswerer(knowledge)


@pytest.fixture
async def bot(
    api: FakeBotApi, tmp_path: Path, answerer: FakeAnswerer, knowledge: FakeKnowledge
) -> AsyncIterator[RunningBot]:
    async with running_bot(api, make_bot_settings(tmp_path, api), answerer, knowledge) as running:
        yield running
