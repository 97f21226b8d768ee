"""Everyone's commands (`/start`, `/help`, `/sources`, `/new`), media, unknown commands, errors."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import Conflict
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.rendering import render_sources
from bot.telegram.sending import send_html
from bot.telegram.services import services_of

_LOGGER = logging.getLogger(__name__)

CONFLICT_MESSAGE = (
    "Telegram answered 409 Conflict: another instance is polling updates with this bot token. "
    "Stopping. Run a single poller, or use webhook mode (DIPLOBOT_WEBHOOK_URL) for replicas."
)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start` and `/help`."""
    if update.effective_message is not None:
        await update.effective_message.reply_html(texts.help_text(context.bot.username))


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/sources`: the articles in the knowledge base."""
    message = update.effective_message
    if message is None:
        return
    sources = await asyncio.to_thread(services_of(context).knowledge.sources)
    await send_html(context.bot, message.chat_id, render_sources(sources))


async def on_new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/new`: forget this chat's conversation."""
    message = update.effective_message
    if message is not None:
        services_of(context).memory.forget(message.chat_id)
        await message.reply_text(texts.NEW_CONVERSATION)


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: say what the bot can read."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.MEDIA_REPLY)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error; tell the user something went wrong, without internals.

    A 409 Conflict while polling means a second instance uses this token: stop cleanly instead
    of fighting it forever.
    """
    error = context.error
    services = services_of(context)
    if isinstance(error, Conflict):
        if not services.conflict:
            services.conflict = True
            _LOGGER.error(CONFLICT_MESSAGE)
            if services.on_conflict is not None:
                services.on_conflict(context.application)
            else:
                context.application.stop_running()
        return
    _LOGGER.error("Error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, texts.SOMETHING_WRONG, parse_mode=None
            )
        except Exception as send_error:  # the chat may be unreachable; the log has the cause
            _LOGGER.warning("Could not tell the user about the error: %s", send_error)
