"""Running the real bot against the fake Bot API server inside a test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotApi

from bot.settings import Settings
from bot.telegram import build_application
from bot.telegram.app import services
from bot.telegram.services import BotServices

# Opt in to PTB 23's timedelta `retry_after` (the bot handles both), as `diplobot run` does.
os.environ.setdefault("PTB_TIMEDELTA", "1")

TOKEN = "123456789:AAH-test-token_DO-NOT-LOG-zz"
ADMIN = 1
USER = 2


@dataclass
class RunningBot:
    api: FakeBotApi
    application: Any
    conflict: asyncio.Event

    @property
    def services(self) -> BotServices:
        return services(self.application)


class LogCapture(logging.Handler):
    """Every record of a run, formatted as a handler would write it (exceptions included)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def make_bot_settings(tmp_path: Path, api: FakeBotApi, **overrides: Any) -> Settings:
    """Settings pointing the bot at the fake server, ignoring any .env."""
    values: dict[str, Any] = {
        "telegram_token": TOKEN,
        "telegram_base_url": api.base_url,
        "telegram_base_file_url": api.file_url,
        "admin_ids": [ADMIN],
        "rate_limit_per_minute": 100,
        "stream_edit_interval": 0.3,
        "knowledge_dir": tmp_path / "knowledge",
        "chroma_path": tmp_path / "chroma",
        "webhook_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running_bot(
    api: FakeBotApi, settings: Settings, answerer: Any, knowledge: Any
) -> AsyncIterator[RunningBot]:
    """The real PTB stack polling the fake server inside the test's event loop.

    Mirrors `run_polling`: post_init (set_my_commands), and polling errors go to the
    application's error handler.
    """
    conflict = asyncio.Event()
    application = build_application(
        settings, answerer, knowledge, on_conflict=lambda _app: conflict.set()
    )
    async with application:
        await application.post_init(application)  # type: ignore[misc]
        await application.start()
        await application.updater.start_polling(
            poll_interval=0.0,
            timeout=1,
            error_callback=lambda error: application.create_task(
                application.process_error(update=None, error=error)
            ),
        )
        try:
            yield RunningBot(api, application, conflict)
        finally:
            if application.updater.running:
                await application.updater.stop()
            await application.stop()


async def ask(api: FakeBotApi, user: int, text: str, expect: int = 1, **kw: Any) -> list[str]:
    """Send a text and return the texts of the next `expect` messages in that chat.

    Waits until no message is still a streaming draft (drafts end with " …").
    """
    chat = kw.get("chat_id") or user
    before = len(api.sent_to(chat))
    await api.send_text(user, text, **kw)
    await api.wait_messages(chat, before + expect, timeout=60)
    messages = await api.wait_for(
        lambda: (
            [m for m in api.sent_to(chat)[before:] if m.text.endswith(" …")] == []
            and api.sent_to(chat)[before:]
        ),
        timeout=60,
    )
    return [m.text for m in messages]
