"""Per-user question rate limit and the answer statistics behind `/stats`."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class UserRateLimiter:
    """A sliding window: at most `per_minute` questions per user in any 60 seconds."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = 60.0,
        max_users: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = per_minute
        self._window = window
        self._max_users = max(1, max_users)
        self._clock = clock
        self._users: OrderedDict[int, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, user_id: int) -> float:
        """Count a question; 0.0 when allowed, else the seconds until the user may ask again."""
        if self._limit <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            times = self._users.get(user_id)
            if times is None:
                times = self._users[user_id] = deque()
            while times and now - times[0] >= self._window:
                times.popleft()
            self._users.move_to_end(user_id)
            if len(times) >= self._limit:
                return max(0.1, self._window - (now - times[0]))
            times.append(now)
            while len(self._users) > self._max_users:
                self._users.popitem(last=False)
            return 0.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class AnswerStats:
    """Questions answered and declined, and the latency of the last `window` answers."""

    def __init__(self, window: int = 1000) -> None:
        self.answered = 0
        self.declined = 0
        self.failed = 0
        self.last_backend = ""
        self._latencies_ms: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def record(self, *, answered: bool, latency_ms: float, backend: str = "") -> None:
        with self._lock:
            if answered:
                self.answered += 1
            else:
                self.declined += 1
            self._latencies_ms.append(latency_ms)
            if backend:
                self.last_backend = backend

    def record_failure(self) -> None:
        with self._lock:
            self.failed += 1

    def snapshot(self) -> dict[str, object]:
        """Counts and p50/p95 latency (ms) as a flat dict."""
        with self._lock:
            latencies = list(self._latencies_ms)
            return {
                "answered": self.answered,
                "declined": self.declined,
                "failed": self.failed,
                "latency_p50_ms": round(percentile(latencies, 0.50)),
                "latency_p95_ms": round(percentile(latencies, 0.95)),
            }
