"""Admin commands: `/reload`, `/stats`, and articles sent as documents.

Admins are Telegram user IDs from `settings.admin_ids`; anyone else is refused and logged.
Knowledge work runs in a thread, so questions keep being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePath
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.rendering import escape, render_mapping
from bot.telegram.sending import send_html
from bot.telegram.services import BotServices, services_of
from knowledge.errors import ArticleRejected, IngestBusy, KnowledgeError

_LOGGER = logging.getLogger(__name__)
UPLOAD_TYPES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


async def _require_admin(
    update: Update, context: ContextTypes.DEFAULT_TYPE, what: str
) -> BotServices | None:
    services = services_of(context)
    user = update.effective_user
    if services.is_admin(user.id if user else None):
        return services
    _LOGGER.warning(
        "Refused %s to non-admin user %s in chat %s",
        what,
        user.id if user else "?",
        update.effective_chat.id if update.effective_chat else "?",
    )
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.NOT_ADMIN)
    return None


def _report_text(title: str, report: Any, titles: dict[str, str] | None = None) -> str:
    """An ingest report: what was added / updated / removed / unchanged, and how long it took."""
    titles = titles or {}

    def names(doc_ids: list[str]) -> str:
        shown = [escape(titles.get(d, d)) for d in doc_ids[:10]]
        more = f" (+{len(doc_ids) - 10})" if len(doc_ids) > 10 else ""
        return f": {'; '.join(shown)}{more}" if shown else ""

    lines = [
        f"<b>{escape(title)}</b>",
        f"Thêm · added {len(report.added)}{names(report.added)}",
        f"Cập nhật · updated {len(report.updated)}{names(report.updated)}",
        f"Xoá · removed {len(report.removed)}{names(report.removed)}",
        f"Không đổi · unchanged {len(report.unchanged)}",
        f"Đoạn · passages {report.chunks}; {report.seconds:.1f} s",
    ]
    failed = getattr(report, "failed", None) or {}
    for name, why in list(failed.items())[:10]:
        lines.append(f"Bỏ qua · skipped {escape(name)}: {escape(why)}")
    return "\n".join(lines)


async def _titles(services: BotServices) -> dict[str, str]:
    try:
        sources = await asyncio.to_thread(services.knowledge.sources)
    except KnowledgeError:
        return {}
    return {s.meta.doc_id: s.meta.title for s in sources}


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/reload`: re-sync the knowledge directory in a thread; one at a time."""
    services = await _require_admin(update, context, "/reload")
    message = update.effective_message
    if services is None or message is None:
        return
    if services.reload_running:
        await message.reply_text(texts.RELOAD_BUSY)
        return
    services.reload_running = True
    try:
        await message.reply_text(texts.RELOAD_STARTED)
        _LOGGER.info("Reload requested by admin %s", update.effective_user.id)  # type: ignore[union-attr]
        try:
            report = await asyncio.to_thread(services.knowledge.sync)
        except IngestBusy:
            await message.reply_text(texts.RELOAD_BUSY)
            return
        except KnowledgeError as error:
            _LOGGER.warning("Reload failed: %s", error)
            await send_html(context.bot, message.chat_id, escape(texts.reload_failed(str(error))))
            return
        _LOGGER.info("Reload done: %s", report.summary())
        text = _report_text("Đã nạp lại · Reloaded", report, await _titles(services))
        await send_html(context.bot, message.chat_id, text)
    finally:
        services.reload_running = False


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/stats`: answered / declined, latency p50 / p95, the backend and health."""
    services = await _require_admin(update, context, "/stats")
    message = update.effective_message
    if services is None or message is None:
        return
    stats = services.stats.snapshot()
    backend = services.stats.last_backend or services.settings.llm_backend
    blocks = [render_mapping("Thống kê · Stats", {**stats, "backend": backend})]
    for title, source in (
        ("Mô hình · Backend health", getattr(services.answerer, "backend", None)),
        ("Kho tri thức · Knowledge health", services.knowledge),
    ):
        health = getattr(source, "health", None)
        if health is None:
            continue
        try:
            values = await asyncio.to_thread(health)
        except Exception as error:  # health checks report, they do not crash /stats
            values = {"ok": False, "error": type(error).__name__}
        blocks.append(render_mapping(title, dict(values)))
    await send_html(context.bot, message.chat_id, "\n\n".join(blocks))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's document becomes an article: checked, saved, indexed; a bad one changes nothing.

    Non-admins are refused in private chats and ignored in groups.
    """
    message = update.effective_message
    if message is None or message.document is None:
        return
    services = services_of(context)
    user = update.effective_user
    if not services.is_admin(user.id if user else None):
        if message.chat.type == ChatType.PRIVATE:
            _LOGGER.warning("Refused a document from non-admin user %s", user.id if user else "?")
            await message.reply_text(texts.UPLOAD_NOT_ADMIN)
        return
    document = message.document
    filename = PurePath(document.file_name or "article.txt").name
    suffix = PurePath(filename).suffix.lower()
    limit = services.settings.max_upload_bytes
    if suffix not in UPLOAD_TYPES:
        allowed = ", ".join(sorted(UPLOAD_TYPES))
        reason = f"{filename}: unsupported type; send one of {allowed}."
        await message.reply_text(texts.upload_rejected(reason))
        return
    if document.file_size and document.file_size > limit:
        reason = f"{filename}: {document.file_size:,} bytes, over the limit of {limit:,}."
        await message.reply_text(texts.upload_rejected(reason))
        return
    await message.reply_text(texts.UPLOADING)
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        report = await asyncio.to_thread(services.knowledge.add_document, filename, data)
    except IngestBusy:
        await message.reply_text(texts.RELOAD_BUSY)
        return
    except ArticleRejected as error:
        _LOGGER.info("Upload %s rejected: %s", filename, error)
        await message.reply_text(texts.upload_rejected(str(error)))
        return
    except KnowledgeError as error:
        _LOGGER.warning("Upload %s failed: %s", filename, error)
        await message.reply_text(texts.upload_rejected(str(error)))
        return
    _LOGGER.info("Upload %s by admin %s: %s", filename, user.id, report.summary())  # type: ignore[union-attr]
    text = _report_text(f"Đã thêm · Added {filename}", report, await _titles(services))
    await send_html(context.bot, message.chat_id, text)
