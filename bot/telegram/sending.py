"""Sending HTML safely: split to Telegram's limit, and plain text when Telegram rejects HTML."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.telegram.rendering import split_html, split_plain, strip_tags

_LOGGER = logging.getLogger(__name__)
TYPING_EVERY = 4.5  # Telegram shows "typing…" for about 5 seconds


def _is_not_modified(error: BadRequest) -> bool:
    return "not modified" in str(error).lower()


async def send_html(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
    draft: Message | None = None,
) -> list[Message]:
    """Send (or finish `draft` with) HTML `text`, split into messages; keyboard on the last.

    When Telegram rejects a message's HTML, that message is sent again as plain text.
    """
    chunks = split_html(text)
    sent: list[Message] = []
    for i, chunk in enumerate(chunks):
        markup = reply_markup if i == len(chunks) - 1 else None
        if i == 0 and draft is not None:
            message = await _edit(bot, draft, chunk, markup)
            if message is not None:
                sent.append(message)
                continue
        sent.extend(await _send(bot, chat_id, chunk, markup, reply_to if i == 0 else None))
    return sent


async def _edit(
    bot: Bot, draft: Message, chunk: str, markup: InlineKeyboardMarkup | None
) -> Message | None:
    try:
        result = await bot.edit_message_text(
            chunk,
            chat_id=draft.chat_id,
            message_id=draft.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
        return result if isinstance(result, Message) else draft
    except BadRequest as error:
        if _is_not_modified(error):
            return draft
        _LOGGER.warning("Telegram rejected an HTML edit, sending plain text: %s", error)
    try:
        result = await bot.edit_message_text(
            strip_tags(chunk)[:4096],
            chat_id=draft.chat_id,
            message_id=draft.message_id,
            parse_mode=None,
            reply_markup=markup,
        )
        return result if isinstance(result, Message) else draft
    except TelegramError as error:
        _LOGGER.warning("Could not finish the streaming draft, sending anew: %s", error)
        return None


async def _send(
    bot: Bot,
    chat_id: int,
    chunk: str,
    markup: InlineKeyboardMarkup | None,
    reply_to: int | None,
) -> list[Message]:
    reply = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to is not None
        else None
    )
    try:
        message = await bot.send_message(
            chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup, reply_parameters=reply
        )
        return [message]
    except BadRequest as error:
        _LOGGER.warning("Telegram rejected an HTML message, sending plain text: %s", error)
    pieces = split_plain(strip_tags(chunk))
    sent = []
    for j, piece in enumerate(pieces):
        sent.append(
            await bot.send_message(
                chat_id,
                piece,
                parse_mode=None,
                reply_markup=markup if j == len(pieces) - 1 else None,
                reply_parameters=reply if j == 0 else None,
            )
        )
    return sent


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int, **kwargs: Any) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY)
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING, **kwargs)

    with contextlib.suppress(TelegramError):
        await bot.send_chat_action(chat_id, ChatAction.TYPING, **kwargs)
    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
