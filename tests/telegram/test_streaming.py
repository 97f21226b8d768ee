from __future__ import annotations

import asyncio
import datetime as dtm
import itertools

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.telegram.streaming import EditPacer, StreamingReply, retry_after_seconds


class FakeTime:
    """A clock the pacer sleeps on: sleeping advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_pacer_gives_one_slot_per_interval_per_chat() -> None:
    time = FakeTime()
    pacer = EditPacer(1.0, clock=time.clock, sleep=time.sleep)
    await pacer.acquire(1)
    await pacer.acquire(1)
    await pacer.acquire(2)  # another chat is not held back
    await pacer.acquire(1)
    assert time.slept == [1.0, 1.0]
    pacer.back_off(1, 5)
    await pacer.acquire(1)
    assert time.slept[-1] == pytest.approx(6.0)


async def test_streaming_coalesces_and_is_throttled() -> None:
    sent: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()

    async def send(text: str) -> str:
        sent.append((loop.time(), text))
        return "message"

    async def edit(message: str, text: str) -> None:
        sent.append((loop.time(), text))

    reply = StreamingReply(7, send, edit, EditPacer(0.1), lambda t: t.strip())
    for i in range(50):
        reply.feed(f"w{i} ")
        await asyncio.sleep(0.01)
    assert await reply.close() == "message"
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(sent)]
    assert 2 <= len(sent) <= 8, sent
    assert min(gaps) >= 0.09
    assert sent[-1][1].startswith("w0 w1")
    count = len(sent)
    reply.feed("more")
    await asyncio.sleep(0.2)
    assert len(sent) == count, "nothing after close"


async def test_streaming_backs_off_on_retry_after() -> None:
    time = FakeTime()
    pacer = EditPacer(0.0, clock=time.clock, sleep=time.sleep)
    calls: list[str] = []

    async def send(text: str) -> str:
        return "m"

    async def edit(message: str, text: str) -> None:
        calls.append(text)
        if len(calls) == 1:
            raise RetryAfter(dtm.timedelta(seconds=3))

    reply = StreamingReply(1, send, edit, pacer, str)
    reply.feed("a")
    await asyncio.sleep(0.01)
    reply.feed("b")
    for _ in range(20):
        await asyncio.sleep(0)
    assert 3.0 in time.slept, "waited as Telegram asked"
    assert calls[-1] == "ab"
    await reply.close()


async def test_streaming_stops_drafts_on_bad_request_and_close_without_text() -> None:
    async def send(text: str) -> str:
        raise BadRequest("Can't parse entities")

    async def edit(message: str, text: str) -> None:
        raise AssertionError("no edit without a message")

    reply = StreamingReply(1, send, edit, EditPacer(0), str)
    reply.feed("x")
    await asyncio.sleep(0.01)
    assert await reply.close() is None
    empty = StreamingReply(1, send, edit, EditPacer(0), str)
    assert await empty.close() is None


def test_retry_after_seconds() -> None:
    assert retry_after_seconds(RetryAfter(dtm.timedelta(seconds=2))) == 2.0
