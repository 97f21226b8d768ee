"""Rate limiter, answer statistics, conversation memory, citation store, token redaction."""

from __future__ import annotations

import logging

from bot.answers import Citation, Turn
from bot.telegram.limits import AnswerStats, UserRateLimiter, percentile
from bot.telegram.logging_redaction import REDACTED, SecretRedactingFilter, install_secret_redaction
from bot.telegram.memory import ChatMemory, CitationStore, callback_data, parse_callback_data

TOKEN = "123456789:AAH-secret-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_window_per_user() -> None:
    clock = Clock()
    limiter = UserRateLimiter(3, clock=clock)
    assert [limiter.hit(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit(1) == 60.0
    assert limiter.hit(2) == 0.0
    clock.now += 30
    assert limiter.hit(1) == 30.0
    clock.now += 30
    assert limiter.hit(1) == 0.0


def test_rate_limiter_is_bounded_and_can_be_off() -> None:
    limiter = UserRateLimiter(1, max_users=10)
    for user in range(100):
        limiter.hit(user)
    assert len(limiter._users) == 10
    assert UserRateLimiter(0).hit(1) == 0.0


def test_stats_percentiles() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    stats = AnswerStats(window=3)
    for ms in (10, 20, 30, 1000):
        stats.record(answered=ms < 1000, latency_ms=ms, backend="extractive")
    snapshot = stats.snapshot()
    assert snapshot["answered"] == 3 and snapshot["declined"] == 1
    assert snapshot["latency_p50_ms"] == 30 and snapshot["latency_p95_ms"] == 1000
    assert stats.last_backend == "extractive"


def test_chat_memory_is_bounded() -> None:
    memory = ChatMemory(max_turns=2, max_chats=2)
    for i in range(3):
        memory.add(1, Turn(f"q{i}", f"a{i}"))
    assert [t.question for t in memory.history(1)] == ["q1", "q2"]
    memory.add(2, Turn("x", "y"))
    memory.history(1)  # chat 1 is now the most recent
    memory.add(3, Turn("z", "w"))
    assert memory.history(2) == () and len(memory) == 2
    assert memory.forget(1) and memory.history(1) == ()
    assert not memory.forget(1)
    off = ChatMemory(max_turns=0)
    off.add(1, Turn("q", "a"))
    assert off.history(1) == ()


def test_citation_store_is_bounded_per_chat_and_data_is_small() -> None:
    store = CitationStore(per_chat=2, max_chats=2)
    cite = Citation(1, "d", "t", "s", "2024", "", "passage")
    first = store.put(10, [cite])
    second = store.put(10, [cite])
    third = store.put(10, [cite])
    assert store.get(10, first, 1) is None
    assert store.get(10, second, 1) == cite and store.get(10, third, 2) is None
    assert store.get(11, third, 1) is None, "another chat cannot read it"
    data = callback_data(10**12, 99)
    assert len(data.encode()) <= 64 and parse_callback_data(data) == (10**12, 99)
    assert parse_callback_data("src:x:1") is None and parse_callback_data("other") is None


def make_record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, msg, args, exc_info)


def test_filter_redacts_message_arguments_and_exceptions() -> None:
    redaction = SecretRedactingFilter([TOKEN])
    record = make_record("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert redaction.filter(record)
    assert TOKEN not in record.getMessage() and REDACTED in record.getMessage()
    quoted = make_record("GET /file/bot123456789%3AAAH-secret-token/doc")
    redaction.filter(quoted)
    assert "AAH-secret-token" not in quoted.getMessage()
    try:
        raise RuntimeError(f"failed {TOKEN}")
    except RuntimeError as error:
        record = make_record("boom", exc=error)
    redaction.filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted and "RuntimeError" in formatted


def test_installed_redaction_covers_every_logger_and_quiets_httpx() -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    root = logging.getLogger()
    handler = Collect(level=logging.DEBUG)
    root.addHandler(handler)
    uninstall = install_secret_redaction([TOKEN])
    try:
        assert logging.getLogger("httpx").level == logging.WARNING
        logging.getLogger("some.library").warning("token is %s", TOKEN)
    finally:
        uninstall()
        root.removeHandler(handler)
    assert lines and all(TOKEN not in line for line in lines)
