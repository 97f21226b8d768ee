"""The answer service: a question and the conversation so far in, a cited `Answer` out.

    answerer = build_answerer(settings, KnowledgeBase.open(settings))
    answer = answerer.answer("ESCAP được thành lập năm nào?", history=[...], on_token=print)

The Telegram layer calls `answer` in a worker thread; `on_token` receives each new piece of
text (a delta, never the text so far) while a model writes; a backend that does not stream
(extractive) delivers its checked answer as one piece. The returned `Answer.text` is
authoritative: it has checked citations and replaces whatever was streamed (a declined answer,
a fallback after a failed model, removed sentences or renumbered citations differ from the
stream).

A model's answer is untrusted, whatever the model (every model backend gets the same checks):

1. One deadline, `llm_timeout`, bounds the model's whole part (follow-up rewrite and answer,
   streamed or not): past it the answer is extractive, with a notice. A reply that keeps
   trickling or a server that hangs cannot hold a user longer.
2. The model is sent excerpts: the sentences the extractive answer would quote, with their
   neighbours, the passage holding the best one first (bot/excerpts.py), so a small model on
   two cores reads a short prompt; the answer's sources list follows the order sent.
3. Its draft goes through the review (bot/review/): a chain of small checks, one a module,
   run in order on the whole reply and, sentence by sentence, on the stream. Reasoning blocks,
   echoes and loops are cut; a reply that obeys planted text, is in the other language, says
   "not in the sources" while retrieval found the answer, pastes a passage whole, leaves
   out the date or number asked for, or only restates the question gives way to the
   extractive answer, with a notice; an
   uncited sentence gets the citation its supporting passage earns; each sentence is checked
   against what was sent of the article it cites, exactly (numbers, dates, names) and by
   meaning (the multilingual encoder), and unsupported ones are removed. An answer with no
   supported sentence left is replaced by the extractive one.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from bot.answers import Answer, Citation, Turn
from bot.backends import AnswerBackend, BackendError, ExtractiveBackend, create_backend
from bot.citations import check_citations
from bot.excerpts import excerpts, sent_first
from bot.followup import contextualize
from bot.grounding import Grounder
from bot.guard import looks_like_injection
from bot.language import (
    DECLINE,
    EMPTY_QUESTION,
    MODEL_COPIED,
    MODEL_DECLINED_OVERRULED,
    MODEL_DISCARDED,
    MODEL_EMPTY,
    MODEL_OFF_QUESTION,
    MODEL_RESTATED,
    MODEL_TIMEOUT,
    MODEL_UNCITED,
    MODEL_UNREACHABLE,
    MODEL_UNSUPPORTED,
    MODEL_WRONG_LANGUAGE,
    NO_WORDS,
    OTHER_LANGUAGE,
    OTHER_LANGUAGE_DECLINED,
    OUT_OF_ROLE,
    SENTENCES_REMOVED,
    STORE_UNAVAILABLE,
    TOO_LONG,
    Lang,
    detect_language,
    is_other_language,
)
from bot.model_output import StopGeneration, StreamFilter
from bot.prompts import NOT_IN_SOURCES, fit_passages
from bot.review import MeaningScorer, ReviewContext, ReviewOutcome, review, review_sentence
from bot.review.source_words import with_source_words
from bot.settings import Settings
from knowledge.errors import KnowledgeError
from knowledge.records import Passage, SearchResult

log = logging.getLogger(__name__)

__all__ = ["Answerer", "Searcher", "build_answerer"]

T = TypeVar("T")

# Why a model's answer was not shown → what the user is told above the extractive answer.
FALLBACK_NOTICES: dict[str, dict[str, str]] = {
    "model_error": MODEL_UNREACHABLE,
    "timeout": MODEL_TIMEOUT,
    "empty": MODEL_EMPTY,
    "injection": MODEL_DISCARDED,
    "language": MODEL_WRONG_LANGUAGE,
    "uncited": MODEL_UNCITED,
    "unsupported": MODEL_UNSUPPORTED,
    "declined": MODEL_DECLINED_OVERRULED,
    "copied": MODEL_COPIED,
    "off_question": MODEL_OFF_QUESTION,
    "restated": MODEL_RESTATED,
}


class Searcher(Protocol):
    """What the answerer needs from the knowledge base."""

    def search(self, query: str, k: int | None = None) -> SearchResult: ...


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class _DeadlinePassed(Exception):
    """The model did not finish before the answer's deadline."""


class _ModelCall:
    """One call to a model backend in a daemon thread, abandoned at the answer's deadline.

    An HTTP read timeout does not bound a reply that keeps trickling, and nothing can interrupt
    a read that hangs; so the call runs in a thread of its own and the answerer stops waiting at
    the deadline. Until then, deltas pass through a `StreamFilter` to `on_token`; after it, the
    next delta ends the generation, and a read that hangs ends with the client's own timeout.
    """

    def __init__(
        self,
        deadline: float,
        on_token: Callable[[str], None] | None = None,
        accept: Callable[[str], str | None] | None = None,
    ) -> None:
        self.deadline = deadline
        self.stream = StreamFilter(on_token, accept)
        self._lock = threading.Lock()
        self._abandoned = False

    def feed(self, delta: str) -> None:
        """The backend's token callback (runs in the model's thread)."""
        with self._lock:
            if self._abandoned:
                raise StopGeneration("deadline passed")
            self.stream.feed(delta)
        if self.stream.stop_reason:
            raise StopGeneration(self.stream.stop_reason)

    def run(self, work: Callable[[], T]) -> T:
        """Run `work` in a daemon thread; its result, its exception, or `_DeadlinePassed`."""
        outcome: list[T] = []
        failure: list[Exception] = []
        done = threading.Event()

        def target() -> None:
            try:
                outcome.append(work())
            except Exception as error:
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=target, name="diplobot-model", daemon=True).start()
        if not done.wait(max(0.0, self.deadline - time.monotonic())):
            with self._lock:
                self._abandoned = True
            raise _DeadlinePassed
        if failure:
            raise failure[0]
        return outcome[0]


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

    @property
    def uses_model(self) -> bool:
        """Whether answers come from a language model (and so get its checks and fallback)."""
        return not isinstance(self.backend, ExtractiveBackend)

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
        other_language = OTHER_LANGUAGE if is_other_language(question) else ""
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
                notice=other_language,
            )
            for name, value in fields.items():
                setattr(answer, name, value)
            return answer

        if not question:
            return reply(EMPTY_QUESTION[lang], "empty")
        if not any(ch.isalnum() for ch in question):
            return reply(NO_WORDS[lang], "no_words")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return reply(TOO_LONG[lang].format(limit=limit), "too_long")
        if looks_like_injection(question):
            log.info("declined a role-change or prompt-leak attempt")
            return reply(f"{DECLINE[lang]} {OUT_OF_ROLE[lang]}", "injection")

        deadline = time.monotonic() + self.settings.llm_timeout
        history = list(history)[-self.settings.history_turns :]
        if on_token is not None:
            on_token = _timing_first(on_token, started, timings)
        step = time.perf_counter()
        standalone, failure = self._standalone(question, history, deadline)
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
                DECLINE[lang],
                "not_covered",
                passages=passages,
                standalone_question=standalone,
                notice=OTHER_LANGUAGE_DECLINED if other_language else "",
            )

        step = time.perf_counter()
        focus = question if standalone != question else None
        outcome: ReviewOutcome | None = None
        streamed = False
        sent: list[Passage] = []
        if self.uses_model and failure:
            outcome = ReviewOutcome(fallback=failure, flags=[f"fallback_{failure}"])
        elif self.uses_model:
            outcome, streamed, sent = self._model_draft(
                standalone, passages, lang, on_token, focus, deadline
            )

        def report(answer: Answer, *more_flags: str) -> Answer:
            # What happened to the model's text (nothing to report for the extractive backend).
            if outcome is not None:
                answer.flags = [*outcome.flags, *more_flags]
                answer.fell_back = bool(outcome.fallback)
                answer.sentences_total = outcome.sentences_total
                answer.sentences_removed = outcome.sentences_removed
                answer.model_chars = outcome.model_chars
            return answer

        model_shown = outcome is not None and not outcome.fallback
        if outcome is not None and model_shown:
            backend = self.backend
            text = with_source_words(outcome.text, outcome.source_words, lang)
            passages = sent_first(passages, sent)  # the model's [n] numbers what it was sent
            notice = ""
            if outcome.sentences_removed:
                notice = SENTENCES_REMOVED[lang].format(count=outcome.sentences_removed)
        else:
            backend = self.fallback if outcome is not None else self.backend
            text = backend.generate(standalone, passages, lang, None, focus)
            if not text or text.strip().strip(".").upper() == NOT_IN_SOURCES:
                timings["generation"] = _ms(step)
                answer = reply(
                    DECLINE[lang],
                    "model_declined",
                    passages=passages,
                    standalone_question=standalone,
                    backend=backend.name,
                )
                return report(answer, "model_declined")
            notice = FALLBACK_NOTICES[outcome.fallback][lang] if outcome is not None else ""
        checked = check_citations(text, len(passages), [p.doc_id for p in passages])
        text = checked.text
        if on_token is not None and not model_shown and not streamed:
            on_token(text)  # one piece; a partial stream is replaced by the final text
        timings["generation"] = _ms(step)
        timings["total"] = _ms(started)
        answer = Answer(
            question=question,
            text=text,
            answered=True,
            citations=[
                _citation(
                    n, [passages[i - 1] for i in _vouching(group, passages, sent, model_shown)]
                )
                for n, group in enumerate(checked.groups, 1)
            ],
            passages=passages,
            backend=backend.name,
            standalone_question=standalone,
            notice=" ".join(n for n in (other_language, notice) if n),
            timings_ms=timings,
        )
        return report(answer)

    def _standalone(self, question: str, history: list[Turn], deadline: float) -> tuple[str, str]:
        """The question to search for, and why the model cannot answer ("" when it can)."""
        if not history:
            return question, ""
        try:
            rewritten = _ModelCall(deadline).run(lambda: self.backend.rewrite(question, history))
        except _DeadlinePassed:
            log.warning("%s backend passed the deadline rewriting a follow-up", self.backend.name)
            return contextualize(question, history), "timeout"
        except BackendError as error:
            # A server that cannot rewrite will not answer either: skip straight to fallback.
            log.warning("%s backend failed to rewrite a follow-up: %s", self.backend.name, error)
            return contextualize(question, history), "model_error"
        return rewritten or contextualize(question, history), ""

    def _model_draft(
        self,
        question: str,
        passages: list[Passage],
        lang: Lang,
        on_token: Callable[[str], None] | None,
        focus: str | None,
        deadline: float,
    ) -> tuple[ReviewOutcome, bool, list[Passage]]:
        """The model's answer, streamed sentence by sentence once checked, then reviewed whole;
        whether part of it reached `on_token`; and the passages it was sent (its [1], [2]…)."""
        settings = self.settings
        # Ranked for the standalone question: a follow-up's own words ("bà ấy") cannot tell
        # the passages apart, the names the rewrite brought in can.
        chosen = excerpts(
            passages, question, lang, settings.llm_passages, settings.llm_excerpt_sentences
        )
        sent = fit_passages(
            question, chosen, lang, settings.llm_context_tokens, settings.llm_max_tokens
        )
        flags: list[str] = []
        if len(sent) < len(chosen):
            log.info(
                "sent %d of %d passages to fit %d context tokens",
                len(sent),
                len(chosen),
                settings.llm_context_tokens,
            )
            flags.append("context_trimmed")
        context = self._review_context(question, sent, lang)
        call = _ModelCall(deadline, on_token, lambda s: review_sentence(s, context))
        name = self.backend.name
        try:
            raw = call.run(lambda: self.backend.generate(question, sent, lang, call.feed, focus))
        except _DeadlinePassed:
            log.warning("%s backend passed the %g s deadline", name, settings.llm_timeout)
            reason = "timeout"
        except BackendError as error:
            log.warning("%s backend failed; answering extractively: %s", name, error)
            reason = "model_error"
        else:
            outcome = review(raw, context)
            outcome.flags[:0] = flags
            if outcome.fallback:
                log.warning("%s answer not shown (%s): %s", name, outcome.fallback, outcome.why)
            for sentence, why in outcome.removed:
                log.info("removed an unsupported sentence (%s): %.80s", why, sentence)
            if not outcome.fallback:
                call.stream.finish()
            return outcome, bool(call.stream.shown), sent
        streamed = bool(call.stream.shown)
        outcome = ReviewOutcome(
            fallback=reason, flags=[*flags, f"fallback_{reason}"], model_chars=len(call.stream.raw)
        )
        return outcome, streamed, sent

    def _review_context(self, question: str, sent: list[Passage], lang: Lang) -> ReviewContext:
        """What the review checks the model's draft against: the passages it was sent."""
        evidence = [_evidence(p, sent) for p in sent]
        embedder = getattr(self.knowledge, "embedder", None)
        meaning = None
        if embedder is not None and self.settings.llm_meaning_check:
            meaning = MeaningScorer(embedder.embed_statements, evidence)
        return ReviewContext(question, sent, lang, Grounder(evidence, lang), meaning)


def _timing_first(
    on_token: Callable[[str], None], started: float, timings: dict[str, float]
) -> Callable[[str], None]:
    """`on_token`, noting when the user saw the first (checked) text: `timings["first_shown"]`."""

    def deliver(delta: str) -> None:
        timings.setdefault("first_shown", _ms(started))
        on_token(delta)

    return deliver


def _evidence(passage: Passage, sent: Sequence[Passage]) -> str:
    """What a citation of a passage vouches for: its article's title and date and everything
    sent of that article. The user's sources list shows each article once, with all its
    passages, so [2] and [3] of one article stand for the same source: a sentence joining the
    date in one to the name in the other is supported."""
    meta = passage.chunk.meta
    texts = [p.text for p in sent if p.doc_id == passage.doc_id]
    return "\n".join(part for part in (meta.title, meta.date, *texts) if part)


def _vouching(
    group: list[int], passages: list[Passage], sent: Sequence[Passage], model_shown: bool
) -> list[int]:
    """The passages (1-based) a citation of one article quotes: those cited and, for a model's
    answer, every passage of that article the model was sent, since its sentences were checked
    against all of them (`_evidence`). The sent passages come first in `passages`."""
    if not model_shown or not group:
        return group
    doc_id = passages[group[0] - 1].doc_id
    same = {i + 1 for i in range(min(len(sent), len(passages))) if passages[i].doc_id == doc_id}
    return [*group, *sorted(same - set(group))]


def _citation(n: int, cited: list[Passage]) -> Citation:
    """One entry of the sources list: an article, with the text of each passage cited."""
    first = cited[0]
    meta = first.chunk.meta
    return Citation(
        n=n,
        doc_id=meta.doc_id,
        title=meta.title,
        source=meta.outlet,
        date=meta.date,
        url=meta.url,
        passage="\n…\n".join(p.text for p in sorted(cited, key=lambda p: p.chunk.position)),
        position=min(p.chunk.position for p in cited),
    )


def build_answerer(settings: Settings, knowledge: Searcher) -> Answerer:
    """Build the answerer with the backend that `settings.llm_backend` names.

    Raises:
        ImportError: The chosen backend's client library is missing (with an install hint).
    """
    return Answerer(settings, knowledge, create_backend(settings))
