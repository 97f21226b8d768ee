"""Bounded per-chat state: conversation turns for follow-ups, and the citations behind buttons.

Both stores keep a fixed number of chats (least recently used ones are forgotten) and a fixed
number of items per chat, so that a busy bot's memory does not grow without end.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Sequence

from bot.answers import Citation, Turn


class ChatMemory:
    """The last `max_turns` turns of each of the last `max_chats` chats."""

    def __init__(self, max_turns: int, max_chats: int = 10_000) -> None:
        self._max_turns = max(0, max_turns)
        self._max_chats = max(1, max_chats)
        self._chats: OrderedDict[int, deque[Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def history(self, chat_id: int) -> tuple[Turn, ...]:
        """This chat's turns, oldest first."""
        with self._lock:
            turns = self._chats.get(chat_id)
            if turns is None:
                return ()
            self._chats.move_to_end(chat_id)
            return tuple(turns)

    def add(self, chat_id: int, turn: Turn) -> None:
        """Remember a turn; the oldest turn and the least recent chat go first."""
        if self._max_turns == 0:
            return
        with self._lock:
            turns = self._chats.get(chat_id)
            if turns is None:
                turns = self._chats[chat_id] = deque(maxlen=self._max_turns)
            turns.append(turn)
            self._chats.move_to_end(chat_id)
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)

    def forget(self, chat_id: int) -> bool:
        """Forget a chat's conversation; True when there was one."""
        with self._lock:
            return self._chats.pop(chat_id, None) is not None

    def __len__(self) -> int:
        return len(self._chats)


class CitationStore:
    """Citations of recent answers, so that a button's callback data stays tiny.

    A button carries `src:<answer id>:<n>`; the passage itself stays here. Each chat keeps its
    last `per_chat` answers; an older button gets a polite "ask again".
    """

    def __init__(self, per_chat: int = 50, max_chats: int = 10_000) -> None:
        self._per_chat = max(1, per_chat)
        self._max_chats = max(1, max_chats)
        self._chats: OrderedDict[int, OrderedDict[int, tuple[Citation, ...]]] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def put(self, chat_id: int, citations: Sequence[Citation]) -> int:
        """Keep an answer's citations; returns the answer id for its buttons."""
        with self._lock:
            answer_id = next(self._ids)
            answers = self._chats.get(chat_id)
            if answers is None:
                answers = self._chats[chat_id] = OrderedDict()
            answers[answer_id] = tuple(citations)
            while len(answers) > self._per_chat:
                answers.popitem(last=False)
            self._chats.move_to_end(chat_id)
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
            return answer_id

    def get(self, chat_id: int, answer_id: int, n: int) -> Citation | None:
        """Citation `[n]` of an answer in this chat, or None when it is gone or unknown."""
        with self._lock:
            answers = self._chats.get(chat_id)
            citations = answers.get(answer_id, ()) if answers is not None else ()
        return next((c for c in citations if c.n == n), None)


def callback_data(answer_id: int, n: int) -> str:
    """Callback data of a source button (Telegram allows 64 bytes)."""
    return f"src:{answer_id}:{n}"


def parse_callback_data(data: str) -> tuple[int, int] | None:
    """`(answer id, n)` from a source button's data, or None when it is not one."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "src":
        return None
    try:
        return int(parts[1]), int(parts[2])
    except ValueError:
        return None
