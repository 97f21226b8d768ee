"""Streaming replies edited as they grow, at most once per interval per chat.

Streaming edits are how bots get flood-blocked for minutes: `AIORateLimiter` does not pace edits
in private chats. `EditPacer` gives each chat one edit slot per interval (shared by all the
replies streaming in that chat) and pushes the next slot back when Telegram answers `RetryAfter`.
`StreamingReply` coalesces: whatever text arrived while it waited goes out in one edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from telegram.error import BadRequest, RetryAfter, TelegramError

_LOGGER = logging.getLogger(__name__)

MessageT = TypeVar("MessageT")


def retry_after_seconds(error: RetryAfter) -> float:
    """`RetryAfter`'s wait in seconds.

    Reads the timedelta PTB keeps (as its own `AIORateLimiter` does): the public `retry_after`
    warns that it will change from int to timedelta.
    """
    value = getattr(error, "_retry_after", None)
    if value is None:
        value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class EditPacer:
    """One edit per `interval` seconds per chat; a `RetryAfter` pushes the chat's next slot back."""

    def __init__(
        self,
        interval: float,
        *,
        max_chats: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = max(0.0, interval)
        self._next: OrderedDict[int, float] = OrderedDict()
        self._max_chats = max_chats
        self._clock = clock
        self._sleep = sleep

    def _reserve(self, chat_id: int) -> float:
        now = self._clock()
        slot = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = slot + self.interval
        self._next.move_to_end(chat_id)
        while len(self._next) > self._max_chats:
            self._next.popitem(last=False)
        return slot - now

    async def acquire(self, chat_id: int) -> None:
        """Wait for this chat's next edit slot."""
        delay = self._reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)

    def back_off(self, chat_id: int, seconds: float) -> None:
        """Telegram said to wait: no edit in this chat for `seconds` (plus the interval)."""
        self._next[chat_id] = max(
            self._next.get(chat_id, 0.0), self._clock() + seconds + self.interval
        )
        self._next.move_to_end(chat_id)


class StreamingReply(Generic[MessageT]):
    """A draft message that follows a growing text.

    Args:
        chat_id: the chat, for pacing.
        send: sends the first draft, returns the message.
        edit: edits the message to a new draft.
        pacer: the chat's edit pacing.
        render: turns the text so far into the draft's text.
    """

    def __init__(
        self,
        chat_id: int,
        send: Callable[[str], Awaitable[MessageT]],
        edit: Callable[[MessageT, str], Awaitable[object]],
        pacer: EditPacer,
        render: Callable[[str], str],
    ) -> None:
        self.chat_id = chat_id
        self.message: MessageT | None = None
        self.edits = 0
        self._send = send
        self._edit = edit
        self._pacer = pacer
        self._render = render
        self._text = ""
        self._shown = ""
        self._changed = asyncio.Event()
        self._closed = False
        self._in_flight = False
        self._task: asyncio.Task[None] | None = None

    def feed(self, delta: str) -> None:
        """Append text (call on the event loop; from a thread use `call_soon_threadsafe`)."""
        if self._closed or not delta:
            return
        self._text += delta
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self._closed:
            await self._changed.wait()
            self._changed.clear()
            await self._pacer.acquire(self.chat_id)
            draft = self._render(self._text)
            if self._closed or draft == self._shown:
                continue
            self._in_flight = True
            try:
                if self.message is None:
                    self.message = await self._send(draft)
                else:
                    await self._edit(self.message, draft)
                    self.edits += 1
                self._shown = draft
            except RetryAfter as error:
                self._pacer.back_off(self.chat_id, retry_after_seconds(error))
                self._changed.set()
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    _LOGGER.warning("Streaming draft rejected, drafts stop here: %s", error)
                    return
            except TelegramError as error:
                _LOGGER.warning("Streaming draft not sent: %s", error)
            finally:
                self._in_flight = False

    async def close(self) -> MessageT | None:
        """Stop following the text; returns the draft message, if one was sent."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            if not self._in_flight:
                task.cancel()
            self._changed.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return self.message
