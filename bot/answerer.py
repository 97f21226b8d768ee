"""The answer service: a question and the conversation so far in, a cited `Answer` out.

    answerer = build_answerer(settings, KnowledgeBase.open(settings))
    answer = answerer.answer("ESCAP được thành lập năm nào?", history=[...], on_token=print)

The Telegram layer calls `answer` in a worker thread; `on_token` receives each new piece of
text (a delta, never the text so far) while a model writes; a backend that does not stream
(extractive) delivers its checked answer as one piece. The returned `Answer.text` is
authoritative: it has checked citations and replaces whatever was streamed (a declined answer,
a fallback after a failed model, or renumbered citations differ from the stream).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.answers import Answer, Citation, Turn
from bot.backends import AnswerBackend, BackendError, ExtractiveBackend, create_backend
from bot.citations import check_citations
from bot.followup import contextualize
from bot.guard import follows_injection, looks_like_injection
from bot.language import (
    DECLINE,
    EMPTY_QUESTION,
    MODEL_DISCARDED,
    MODEL_UNREACHABLE,
    OUT_OF_ROLE,
    STORE_UNAVAILABLE,
    TOO_LONG,
    UNCITED,
    Lang,
    detect_language,
)
from bot.prompts import NOT_IN_SOURCES
from bot.settings import Settings
from knowledge.errors import KnowledgeError
from knowledge.records import Passage, SearchResult

log = logging.getLogger(__name__)

__all__ = ["Answerer", "Searcher", "build_answerer"]


class Searcher(Protocol):
    """What the answerer needs from the knowledge base."""

    def search(self, query: str, k: int | None = None) -> SearchResult: ...


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class Answerer:
    """Rewrites follow-ups, retrieves, declines or answers with checked citations."""

    def __init__(
        self,
        settings: Settings,
        knowledge: Searcher,
        backend: AnswerBackend,
        fallback: AnswerBackend | None = None,
    ) -> None:
        """Args:
        settings: Thresholds, limits and the model settings.
        knowledge: The knowledge base (anything with `search`).
        backend: The backend that writes answers.
        fallback: Used when a model backend fails; the extractive backend by default.
        """
        self.settings = settings
        self.knowledge = knowledge
        self.backend = backend
        self.fallback = fallback or ExtractiveBackend(max_sentences=settings.extractive_sentences)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a question from the knowledge base, or decline.

        Never raises for a bad question or a failing model: the user gets a message instead.

        Args:
            question: The user's question.
            history: Earlier turns of this conversation, oldest first.
            on_token: Receives each new piece (delta) of the answer while it is generated.

        Returns:
            The answer; `answered` is False when the bot declined or the question was invalid.
        """
        started = time.perf_counter()
        question = " ".join(unicodedata.normalize("NFC", question).split())
        lang = detect_language(question)
        timings: dict[str, float] = {}

        def reply(text: str, flag: str, **fields: object) -> Answer:
            timings["total"] = _ms(started)
            answer = Answer(
                question=question,
                text=text,
                answered=False,
                backend=self.backend.name,
                timings_ms=timings,
                flags=[flag],
            )
            for name, value in fields.items():
                setattr(answer, name, value)
            return answer

        if not question:
            return reply(EMPTY_QUESTION[lang], "empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return reply(TOO_LONG[lang].format(limit=limit), "too_long")
        if looks_like_injection(question):
            log.info("declined a role-change or prompt-leak attempt")
            return reply(f"{DECLINE[lang]} {OUT_OF_ROLE[lang]}", "injection")

        history = list(history)[-self.settings.history_turns :]
        step = time.perf_counter()
        standalone, model_ok = self._standalone(question, history)
        timings["rewrite"] = _ms(step)

        step = time.perf_counter()
        try:
            result = self.knowledge.search(standalone, self.settings.top_k)
        except KnowledgeError as error:  # e.g. the Chroma server is down: say so, keep running
            log.warning("retrieval failed: %s", error)
            return reply(STORE_UNAVAILABLE[lang].format(error=error), "store_unavailable")
        timings["retrieval"] = _ms(step)
        passages = list(result.passages)
        if not passages or result.relevance < self.settings.relevance_threshold:
            return reply(
                DECLINE[lang], "not_covered", passages=passages, standalone_question=standalone
            )

        step = time.perf_counter()
        focus = question if standalone != question else None
        text, backend, notice = self._generate(
            standalone, passages, lang, on_token, model_ok, focus
        )
        timings["generation"] = _ms(step)
        if not text or text.strip().strip(".").upper() == NOT_IN_SOURCES:
            return reply(
                DECLINE[lang],
                "model_declined",
                passages=passages,
                standalone_question=standalone,
                backend=backend.name,
            )

        checked = check_citations(text, len(passages))
        flags = []
        if checked.removed:
            log.info("removed citations that are not sources: %s", checked.removed)
        if checked.uncited:
            flags.append("uncited")
            notice = notice or UNCITED[lang]
        if on_token is not None and not backend.streams:
            on_token(checked.text)  # one piece, already with the final citation numbers
        timings["total"] = _ms(started)
        return Answer(
            question=question,
            text=checked.text,
            answered=True,
            citations=[_citation(n, passages[i - 1]) for n, i in enumerate(checked.order, 1)],
            passages=passages,
            backend=backend.name,
            standalone_question=standalone,
            notice=notice,
            flags=flags,
            timings_ms=timings,
        )

    def _standalone(self, question: str, history: list[Turn]) -> tuple[str, bool]:
        """The question to search for, and whether the model (if any) is answering."""
        if not history:
            return question, True
        try:
            rewritten = self.backend.rewrite(question, history)
        except BackendError as error:
            # A server that cannot rewrite will not answer either: skip straight to fallback.
            log.warning("%s backend failed to rewrite a follow-up: %s", self.backend.name, error)
            return contextualize(question, history), False
        return rewritten or contextualize(question, history), True

    def _generate(
        self,
        question: str,
        passages: list[Passage],
        lang: Lang,
        on_token: Callable[[str], None] | None,
        model_ok: bool,
        focus: str | None,
    ) -> tuple[str, AnswerBackend, str]:
        """Text from the backend, or from the fallback with a notice when the model fails."""
        notice = MODEL_UNREACHABLE[lang]
        if model_ok:
            try:
                stream = on_token if self.backend.streams else None
                text = self.backend.generate(question, passages, lang, stream, focus)
            except BackendError as error:
                log.warning(
                    "%s backend failed; answering extractively: %s", self.backend.name, error
                )
            else:
                if not follows_injection(text, question, [p.text for p in passages]):
                    return text, self.backend, ""
                log.warning("%s answer obeyed text planted in a source", self.backend.name)
                notice = MODEL_DISCARDED[lang]
        text = self.fallback.generate(question, passages, lang, None, focus)
        return text, self.fallback, notice


def _citation(n: int, passage: Passage) -> Citation:
    meta = passage.chunk.meta
    return Citation(
        n=n,
        doc_id=meta.doc_id,
        title=meta.title,
        source=meta.outlet,
        date=meta.date,
        url=meta.url,
        passage=passage.text,
        position=passage.chunk.position,
    )


def build_answerer(settings: Settings, knowledge: Searcher) -> Answerer:
    """Build the answerer with the backend that `settings.llm_backend` names.

    Raises:
        ImportError: The chosen backend's client library is missing (with an install hint).
    """
    return Answerer(settings, knowledge, create_backend(settings))
