"""What the handlers work with: the answerer, the knowledge base and the bot's own small state.

One `BotServices` per application, kept in `application.bot_data` by `build_application`;
handlers reach it through `services_of(context)`. The answerer and the knowledge base are
described by protocols so that tests can pass fakes that implement them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram.ext import Application, ContextTypes

from bot.answers import Answer, Turn
from bot.settings import Settings
from bot.telegram.limits import AnswerStats, UserRateLimiter
from bot.telegram.memory import ChatMemory, CitationStore
from bot.telegram.streaming import EditPacer

SERVICES_KEY = "services"


class BackendLike(Protocol):
    def health(self) -> dict[str, Any]: ...


class AnswererLike(Protocol):
    """`bot.answerer.Answerer`: synchronous, so handlers call it in a thread."""

    backend: Any  # BackendLike

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        on_token: Callable[[str], None] | None = None,
    ) -> Answer: ...


class KnowledgeLike(Protocol):
    """`knowledge.base.KnowledgeBase`: blocking calls, made in a thread."""

    def sync(self, progress: Any = None) -> Any: ...

    def add_document(self, filename: str, data: bytes) -> Any: ...

    def sources(self) -> list[Any]: ...

    def health(self) -> dict[str, Any]: ...


@dataclass
class BotServices:
    """The services and the bounded state that one running bot shares between its handlers."""

    settings: Settings
    answerer: AnswererLike
    knowledge: KnowledgeLike
    memory: ChatMemory
    citations: CitationStore
    limiter: UserRateLimiter
    pacer: EditPacer
    stats: AnswerStats = field(default_factory=AnswerStats)
    # Called once when Telegram answers 409 Conflict (another poller); stops the application.
    on_conflict: Callable[[Application[Any, Any, Any, Any, Any, Any]], None] | None = None
    conflict: bool = False
    reload_running: bool = False

    @classmethod
    def from_settings(
        cls, settings: Settings, answerer: AnswererLike, knowledge: KnowledgeLike
    ) -> BotServices:
        return cls(
            settings=settings,
            answerer=answerer,
            knowledge=knowledge,
            memory=ChatMemory(settings.history_turns),
            citations=CitationStore(),
            limiter=UserRateLimiter(settings.rate_limit_per_minute),
            pacer=EditPacer(settings.stream_edit_interval),
        )

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids


def services_of(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """The application's services, as `build_application` stored them."""
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, BotServices)
    return services
