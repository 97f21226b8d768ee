"""What the model backends share: prompting a LangChain chat model, streaming, rewriting."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from bot.answers import Turn
from bot.backends.base import AnswerBackend, BackendError, TokenCallback
from bot.language import Lang
from bot.prompts import REWRITE_PROMPT, SYSTEM_PROMPT, answer_message, rewrite_message
from knowledge.records import Passage

log = logging.getLogger(__name__)


def describe(error: BaseException) -> str:
    """One line about a model failure, for logs and `health()`; never a stack trace."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


class ChatModelBackend(AnswerBackend):
    """An answer backend backed by a LangChain chat model; subclasses build the model."""

    streams = True

    def __init__(self, chat_model: BaseChatModel, model: str, max_question_chars: int) -> None:
        """Args:
        chat_model: The configured LangChain chat model (with timeout and retries).
        model: The model's name, for /stats.
        max_question_chars: Longest acceptable rewritten question.
        """
        self.chat_model = chat_model
        self.model = model
        self.max_question_chars = max_question_chars

    def generate(
        self,
        question: str,
        passages: Sequence[Passage],
        lang: Lang,
        on_token: TokenCallback | None = None,
        focus: str | None = None,
    ) -> str:
        """Stream an answer from the model (see `AnswerBackend.generate`)."""
        messages = [
            SystemMessage(SYSTEM_PROMPT),
            HumanMessage(answer_message(question, passages, lang)),
        ]
        pieces: list[str] = []
        try:
            for chunk in self.chat_model.stream(messages):
                delta = chunk.text
                if delta:
                    pieces.append(delta)
                    if on_token is not None:
                        on_token(delta)
        except Exception as error:  # any client or server failure means: fall back
            raise BackendError(describe(error)) from error
        text = "".join(pieces).strip()
        if not text:
            raise BackendError("the model returned an empty answer")
        return text

    def rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        """Ask the model for a standalone version of a follow-up (see `AnswerBackend.rewrite`)."""
        if not history:
            return None
        messages = [SystemMessage(REWRITE_PROMPT), HumanMessage(rewrite_message(question, history))]
        try:
            reply = self.chat_model.invoke(messages).text
        except Exception as error:
            raise BackendError(describe(error)) from error
        # Model output is untrusted: accept one plausible line, else use the model-free method.
        lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
        if not lines:
            return None
        candidate = lines[0].removeprefix("Standalone question:").strip().strip("\"“”'").strip()
        if not candidate or len(candidate) > self.max_question_chars:
            return None
        return candidate
