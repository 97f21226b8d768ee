"""A backend whose model cannot run here: every call fails, so every answer is extractive.

`create_backend` returns one when a backend's start-up check fails (`BackendUnavailable`): the
bot keeps running, and the answerer's fallback gives each answer the extractive text with its
notice, and logs the reason each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.answers import Turn
from bot.backends.base import AnswerBackend, BackendError, TokenCallback
from bot.language import Lang
from knowledge.records import Passage

__all__ = ["BackendUnavailable", "UnavailableBackend"]


class BackendUnavailable(BackendError):
    """A backend cannot start (its model cannot run on this machine); the message says why."""


class UnavailableBackend(AnswerBackend):
    """Stands in for a backend that could not start; raises `BackendError` with the reason."""

    name = "unavailable"

    def __init__(self, wanted: str, model: str, reason: str) -> None:
        """Args:
        wanted: The backend that was asked for (`llamacpp`).
        model: The model it was asked to run.
        reason: Why it cannot, with how to fix it.
        """
        self.wanted = wanted
        self.model = model
        self.reason = reason

    def _fail(self) -> BackendError:
        return BackendError(self.reason)

    def generate(
        self,
        question: str,
        passages: Sequence[Passage],
        lang: Lang,
        on_token: TokenCallback | None = None,
        focus: str | None = None,
    ) -> str:
        """Never answers: raises `BackendError`, and the answerer falls back."""
        raise self._fail()

    def rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        """Never rewrites: raises `BackendError`, and the answerer falls back."""
        raise self._fail()

    def health(self) -> dict[str, Any]:
        """Not ok, with the reason (for /stats)."""
        return {"backend": self.wanted, "model": self.model, "ok": False, "error": self.reason}
