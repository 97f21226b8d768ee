"""Build the Telegram application from its dependencies, and run it (polling or webhook)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.settings import Settings
from bot.telegram import handlers_admin as admin
from bot.telegram import handlers_general as general
from bot.telegram import handlers_questions as questions
from bot.telegram.services import SERVICES_KEY, AnswererLike, BotServices, KnowledgeLike
from bot.telegram.texts import COMMANDS

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.LOCATION
    | filters.CONTACT
)


async def _register_commands(application: AnyApplication) -> None:
    await application.bot.set_my_commands(
        [BotCommand(name, description) for name, description in COMMANDS]
    )


def build_application(
    settings: Settings,
    answerer: AnswererLike,
    knowledge: KnowledgeLike,
    *,
    on_conflict: Callable[[AnyApplication], None] | None = None,
) -> AnyApplication:
    """A ready-to-run bot: handlers, rate limiter, HTML defaults, commands set on start.

    Args:
        settings: the bot's settings (token, Bot API URLs, limits, admins).
        answerer: answers questions (`bot.answerer.Answerer` or a fake).
        knowledge: the knowledge base (`knowledge.base.KnowledgeBase` or a fake).
        on_conflict: called once on 409 Conflict; default `Application.stop_running`.

    Raises:
        ValueError: no token in the settings.
    """
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValueError("No Telegram bot token: set DIPLOBOT_TELEGRAM_TOKEN (from @BotFather).")
    services = BotServices.from_settings(settings, answerer, knowledge)
    services.on_conflict = on_conflict
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Telegram's 429s: wait and retry instead of failing the reply.
        .rate_limiter(AIORateLimiter(max_retries=3))
        # One slow answer must not hold up everyone else's.
        .concurrent_updates(True)
        .connection_pool_size(64)
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(30)
        .pool_timeout(30)
        .post_init(_register_commands)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    add_handlers(application)
    return application


def add_handlers(application: AnyApplication) -> None:
    """Every handler of the bot, in order; each one thin."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handlers(
        [
            CommandHandler(["start", "help"], general.on_help),
            CommandHandler("sources", general.on_sources),
            CommandHandler("new", general.on_new),
            CommandHandler("ask", questions.on_ask),
            CommandHandler("reload", admin.on_reload),
            CommandHandler("stats", admin.on_stats),
            CallbackQueryHandler(questions.on_source_button, pattern=r"^src:"),
            MessageHandler(filters.Document.ALL, admin.on_document),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, questions.on_private_text),
            MessageHandler(groups & filters.TEXT & ~filters.COMMAND, questions.on_group_text),
            MessageHandler(private & MEDIA, general.on_media),
            MessageHandler(private & filters.COMMAND, general.on_unknown_command),
        ]
    )
    application.add_error_handler(general.on_error)


def services(application: AnyApplication) -> BotServices:
    """The services `build_application` attached to an application."""
    found = application.bot_data[SERVICES_KEY]
    assert isinstance(found, BotServices)
    return found


def run_application(application: AnyApplication, settings: Settings) -> int:
    """Run until stopped: webhook when `settings.webhook_url` is set, else long polling.

    Returns:
        0 on a normal stop; 2 when another instance polls the same token (409 Conflict).
    """
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        if not secret:
            _LOGGER.warning("Webhook mode without DIPLOBOT_WEBHOOK_SECRET: requests are unchecked.")
        _LOGGER.info("Starting webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        _LOGGER.info("Starting long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    if services(application).conflict:
        _LOGGER.error(general.CONFLICT_MESSAGE)
        return 2
    return 0
