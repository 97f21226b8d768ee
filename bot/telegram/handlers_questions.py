"""Questions: any text in a private chat; in groups a mention, a reply to the bot, or `/ask`.

Each handler reads the update, calls `answer_question` (the answerer, in a thread), and renders.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.ext import ContextTypes

from bot.answers import Answer, Turn
from bot.telegram import texts
from bot.telegram.memory import callback_data, parse_callback_data
from bot.telegram.rendering import render_answer, render_draft, render_passage
from bot.telegram.sending import send_html, typing
from bot.telegram.services import BotServices, services_of
from bot.telegram.streaming import StreamingReply

_LOGGER = logging.getLogger(__name__)
BUTTONS_PER_ROW = 5


def _keyboard(answer_id: int, answer: Answer) -> InlineKeyboardMarkup | None:
    if not (answer.answered and answer.citations):
        return None
    buttons = [
        InlineKeyboardButton(f"📄 [{c.n}]", callback_data=callback_data(answer_id, c.n))
        for c in answer.citations
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    """Check limits, answer in a thread while streaming a draft, send the cited reply."""
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return
    services = services_of(context)
    chat_id = message.chat_id
    is_group = message.chat.type != ChatType.PRIVATE
    reply_to = message.message_id if is_group else None
    question = question.strip()
    if not question:
        await message.reply_text(texts.ASK_USAGE)
        return
    limit = services.settings.max_question_chars
    if len(question) > limit:
        await message.reply_text(texts.too_long(limit))
        return
    wait = services.limiter.hit(user.id if user else chat_id)
    if wait:
        await message.reply_text(texts.slow_down(wait))
        return

    draft = _draft_for(services, context, chat_id, reply_to)
    loop = asyncio.get_running_loop()

    def on_token(delta: str) -> None:  # runs in the answerer's thread
        loop.call_soon_threadsafe(draft.feed, delta)

    history = services.memory.history(chat_id)
    started = time.perf_counter()
    async with typing(context.bot, chat_id):
        try:
            answer = await asyncio.to_thread(services.answerer.answer, question, history, on_token)
        except Exception:
            services.stats.record_failure()
            await draft.close()
            raise
        draft_message = await draft.close()
    latency_ms = answer.timings_ms.get("total", (time.perf_counter() - started) * 1000)
    services.stats.record(answered=answer.answered, latency_ms=latency_ms, backend=answer.backend)
    services.memory.add(
        chat_id,
        Turn(question, answer.text, answer.standalone_question or question),
    )
    answer_id = services.citations.put(chat_id, answer.citations)
    if draft_message is not None:
        await services.pacer.acquire(chat_id)
    await send_html(
        context.bot,
        chat_id,
        render_answer(answer),
        reply_markup=_keyboard(answer_id, answer),
        reply_to=reply_to,
        draft=draft_message,
    )


def _draft_for(
    services: BotServices,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    reply_to: int | None,
) -> StreamingReply[Message]:
    reply = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to is not None
        else None
    )

    async def send(text: str) -> Message:
        return await context.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, reply_parameters=reply
        )

    async def edit(draft: Message, text: str) -> object:
        return await context.bot.edit_message_text(
            text, chat_id=chat_id, message_id=draft.message_id, parse_mode=ParseMode.HTML
        )

    return StreamingReply(chat_id, send, edit, services.pacer, render_draft)


# --- handlers -----------------------------------------------------------------------------------


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    message = update.effective_message
    if message is not None and message.text:
        await answer_question(update, context, message.text)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, text is a question only when it mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    bot = context.bot
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        await answer_question(update, context, message.text)
        return
    username = (bot.username or "").lower()
    question = message.text
    mentioned = False
    for entity, value in message.parse_entities(
        [MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]
    ).items():
        to_bot = (
            entity.type == MessageEntityType.MENTION and value.lstrip("@").lower() == username
        ) or (entity.user is not None and entity.user.id == bot.id)
        if to_bot:
            mentioned = True
            question = question.replace(value, " ")
    if mentioned:
        await answer_question(update, context, " ".join(question.split()))


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/ask QUESTION`, for groups (works in private chats too)."""
    await answer_question(update, context, " ".join(context.args or []))


async def on_source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A source button: show the cited passage in full."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    services = services_of(context)
    parsed = parse_callback_data(query.data or "")
    chat_id = query.message.chat.id
    citation = services.citations.get(chat_id, *parsed) if parsed else None
    if citation is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=False)
        return
    await query.answer()
    await send_html(context.bot, chat_id, render_passage(citation))
