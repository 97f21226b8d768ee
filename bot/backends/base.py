"""The one small interface every answer backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from bot.answers import Turn
from bot.language import Lang
from knowledge.records import Passage

TokenCallback = Callable[[str], None]
"""Receives each new piece (a delta, not the text so far) of an answer as it is generated."""


class BackendError(Exception):
    """A model backend could not answer: server down, timed out, refused or replied nonsense."""


class AnswerBackend(ABC):
    """Writes an answer from numbered passages; picked by `Settings.llm_backend`.

    Passages are numbered 1..n in the order given; the answer cites them as [n].
    """

    name: ClassVar[str] = "base"
    model: str = ""  # the model's name, for /stats; empty for the extractive backend
    # Whether `generate` produces text piece by piece. A backend that does not (extractive)
    # gets no callback; the answerer hands its checked text to `on_token` in one piece.
    streams: ClassVar[bool] = False

    @abstractmethod
    def generate(
        self,
        question: str,
        passages: Sequence[Passage],
        lang: Lang,
        on_token: TokenCallback | None = None,
        focus: str | None = None,
    ) -> str:
        """Write an answer to `question` from `passages`, citing them as [n].

        Args:
            question: The (standalone) question.
            passages: Retrieved passages; the first is source [1].
            lang: The question's language, which the answer must use.
            on_token: Called with each new piece (delta) of the answer as it is produced.
            focus: The user's own words when `question` was rewritten from a follow-up;
                backends may weigh them more than the words borrowed from earlier turns.

        Returns:
            The answer text with [n] citations, or `NOT_IN_SOURCES` when the passages do not
            hold the answer.

        Raises:
            BackendError: The model could not be reached or failed.
        """

    def rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        """Rewrite a follow-up into a standalone question.

        Returns:
            The standalone question, or None to let the caller use the model-free method.

        Raises:
            BackendError: The model could not be reached or failed.
        """
        return None

    def health(self) -> dict[str, Any]:
        """Say whether the backend can answer now (for /stats); never raises."""
        return {"backend": self.name, "ok": True}
