"""What the model backends share: prompting a LangChain chat model, streaming, rewriting.

The backend only talks to the model. What the model wrote is checked by the answerer for every
model backend alike: its deadline, reasoning blocks, echoes, loops, citations, grounding and
language (bot/answerer.py, bot/model_output.py, bot/grounding.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot.answers import Turn
from bot.backends.base import AnswerBackend, BackendError, TokenCallback
from bot.language import Lang, detect_language
from bot.model_output import StopGeneration, clean_model_text
from bot.prompts import REWRITE_PROMPT, SYSTEM_PROMPT, answer_message, rewrite_message
from knowledge.records import Passage
from knowledge.text import content_words, words

log = logging.getLogger(__name__)

_PROMPT_WORDS = frozenset(words(REWRITE_PROMPT))


def plausible_rewrite(candidate: str, question: str) -> bool:
    """Whether a model's standalone question can stand for the user's: same language, most of
    the user's own content words kept, and not an echo of the rewrite instructions (a weak
    model copies them back, and searching for them would decline a fair follow-up)."""
    if detect_language(candidate) != detect_language(question):
        return False
    own = set(content_words(question))
    said = set(content_words(candidate))
    if own and len(own & said) < len(own) / 2:
        return False
    borrowed = said - own
    return not borrowed or len(borrowed & _PROMPT_WORDS) <= len(borrowed) / 2


_LABEL = re.compile(r"^\s*(?:standalone question|question)\s*:\s*", re.IGNORECASE)


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
        """Stream an answer from the model (see `AnswerBackend.generate`).

        `on_token` may raise `StopGeneration` to end the answer early; the text so far is
        returned. An empty reply is returned as "" (the answerer falls back).
        """
        messages = self.messages(SYSTEM_PROMPT, answer_message(question, passages, lang))
        pieces: list[str] = []
        stream = self.chat_model.stream(messages)
        try:
            for chunk in stream:
                delta = chunk.text
                if delta:
                    pieces.append(delta)
                    if on_token is not None:
                        on_token(delta)
        except StopGeneration as stop:
            # The caller has seen enough (an echo, a loop, its deadline); the text so far is
            # the answer, and closing the stream below ends the request.
            log.info("%s generation stopped early: %s", self.name, stop)
        except Exception as error:  # any client or server failure means: fall back
            raise BackendError(describe(error)) from error
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        # An empty reply is the answerer's to judge (it falls back with a notice).
        return "".join(pieces).strip()

    # Chat templates that drop system messages (Gemma in llama.cpp's server) need the rules in
    # the user's turn; `Settings.llm_system_in_user` sets this.
    system_in_user: bool = False

    def messages(self, rules: str, content: str) -> list[BaseMessage]:
        """The rules and the user's content, as a system and a user message or as one."""
        if self.system_in_user:
            return [HumanMessage(f"{rules}\n\n{content}")]
        return [SystemMessage(rules), HumanMessage(content)]

    def rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        """Ask the model for a standalone version of a follow-up (see `AnswerBackend.rewrite`)."""
        if not history:
            return None
        messages = self.messages(REWRITE_PROMPT, rewrite_message(question, history))
        try:
            reply = self.chat_model.invoke(messages).text
        except Exception as error:
            raise BackendError(describe(error)) from error
        # Model output is untrusted: accept one plausible line, else use the model-free method.
        cleaned = clean_model_text(_LABEL.sub("", str(reply)), finished=False).text
        lines = [line.strip() for line in cleaned.strip().splitlines() if line.strip()]
        if not lines:
            return None
        candidate = lines[0].strip().strip("\"“”'").strip()
        if not candidate or len(candidate) > self.max_question_chars:
            return None
        if not plausible_rewrite(candidate, question):
            log.info("%s rewrite discarded (echo, other language or off the question)", self.name)
            return None
        return candidate
