"""Telegram HTML for answers, sources and passages, and splitting it into messages.

Everything that did not come from this module — the model's text, article titles, passages,
file names — is untrusted and goes through `escape`. Splitting happens after formatting and
never cuts inside a tag or an entity: a chunk closes the tags open at its end and the next one
reopens them.
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from bot.answers import Answer, Citation

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text, in UTF-16 code units
DRAFT_LIMIT = 3900  # a streaming draft is cut here, the final answer is split properly

_ATOM = re.compile(r"(<[^<>]*>|&#?\w+;|\n\n|\n| )")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")
_BREAK_PRIORITY = {"\n\n": 3, "\n": 2, " ": 1}


def escape(text: object) -> str:
    """Escape text for Telegram's HTML parse mode (`&`, `<`, `>` and quotes)."""
    return html.escape(str(text), quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _safe_url(url: str) -> str | None:
    url = url.strip()
    return url if url.startswith(("https://", "http://")) else None


def citation_line(citation: Citation, *, html_mode: bool = True) -> str:
    """One line of the sources list: `[n] Title — Outlet, date`, the title linked when known."""
    details = ", ".join(part for part in (citation.source, citation.date) if part)
    if not html_mode:
        line = f"[{citation.n}] {citation.title}"
        if details:
            line += f" — {details}"
        if citation.url:
            line += f" {citation.url}"
        return line
    title = escape(citation.title or citation.doc_id)
    url = _safe_url(citation.url)
    if url:
        title = f'<a href="{escape(url)}">{title}</a>'
    line = f"[{citation.n}] {title}"
    if details:
        line += f" — {escape(details)}"
    return line


def render_answer(answer: Answer, *, html_mode: bool = True) -> str:
    """The whole reply to a question: answer text, notice, numbered sources."""
    esc = escape if html_mode else str
    parts = [esc(answer.text.strip()) or esc("…")]
    if answer.notice:
        notice = esc(answer.notice.strip())
        parts.append(f"<i>{notice}</i>" if html_mode else notice)
    if answer.answered and answer.citations:
        heading = "Nguồn · Sources"
        lines = [f"<b>{heading}</b>" if html_mode else heading]
        lines += [citation_line(c, html_mode=html_mode) for c in answer.citations]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def render_draft(text_so_far: str) -> str:
    """A streaming draft: the text so far, escaped, cut short well under the limit."""
    text = text_so_far.strip()
    if len(text) > DRAFT_LIMIT:
        text = text[:DRAFT_LIMIT]
    return escape(text) + " …"


def render_passage(citation: Citation, *, html_mode: bool = True) -> str:
    """A cited passage shown in full, under its source line."""
    if not html_mode:
        return f"{citation_line(citation, html_mode=False)}\n\n{citation.passage.strip()}"
    return (
        f"<b>{citation_line(citation)}</b>\n\n"
        f"<blockquote>{escape(citation.passage.strip())}</blockquote>"
    )


def render_sources(sources: Sequence[Any]) -> str:
    """`/sources`: each article's title, outlet, date and passage count.

    Args:
        sources: `SourceSummary`-like objects (`.meta` with title/outlet/date, `.chunks`).
    """
    if not sources:
        return "Kho tri thức đang trống. · The knowledge base is empty."
    total = sum(int(getattr(s, "chunks", 0)) for s in sources)
    lines = [
        f"<b>Kho tri thức · Knowledge base</b>: {len(sources)} bài · articles, "
        f"{total} đoạn · passages"
    ]
    for i, summary in enumerate(sources, 1):
        meta = summary.meta
        details = ", ".join(part for part in (meta.outlet, meta.date) if part)
        line = f"{i}. {escape(meta.title or meta.doc_id)}"
        if details:
            line += f" — {escape(details)}"
        line += f" ({summary.chunks})"
        lines.append(line)
    return "\n".join(lines)


def render_mapping(title: str, values: dict[str, Any]) -> str:
    """A small `key: value` block (for `/stats` and health), escaped."""
    lines = [f"<b>{escape(title)}</b>"]
    lines += [f"{escape(key)}: {escape(value)}" for key, value in values.items()]
    return "\n".join(lines)


def strip_tags(text: str) -> str:
    """Plain text of our own HTML (for the plain-text fallback of a rejected message)."""
    return html.unescape(_TAG.sub("", text))


# --- splitting --------------------------------------------------------------------------------


def _atoms(text: str, longest: int) -> Iterable[str]:
    """Tags, entities, breaks and words; a word longer than `longest` is cut in pieces."""
    for atom in _ATOM.split(text):
        if not atom:
            continue
        if atom.startswith(("<", "&")) or utf16_len(atom) <= longest:
            yield atom
            continue
        piece = ""
        for char in atom:
            if utf16_len(piece) + utf16_len(char) > longest:
                yield piece
                piece = ""
            piece += char
        if piece:
            yield piece


def _tag_name(atom: str) -> tuple[str, bool] | None:
    match = _TAG.fullmatch(atom)
    if not match:
        return None
    return match.group(2).lower(), bool(match.group(1))


def _closers(stack: Sequence[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _has_text(parts: Sequence[str]) -> bool:
    return any(not part.startswith("<") and part.strip() for part in parts)


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` UTF-16 units each.

    Cuts preferably at a paragraph break, then a line break, then a space, never inside a tag
    or an entity; tags open at a cut are closed there and reopened in the next message.
    """
    if utf16_len(text) <= limit:
        return [text] if text.strip() else []
    atoms: deque[str] = deque(_atoms(text, max(1, limit // 4)))
    chunks: list[str] = []
    stack: list[tuple[str, str]] = []  # (tag name, opening tag) of the tags open right now
    current: list[str] = []
    size = 0
    # (priority, index into current, open tags there, size there)
    breaks: list[tuple[int, int, tuple[tuple[str, str], ...], int]] = []

    def restart(open_tags: Sequence[tuple[str, str]]) -> None:
        nonlocal current, size, stack, breaks
        stack = list(open_tags)
        current = [tag for _, tag in open_tags]
        size = sum(utf16_len(tag) for tag in current)
        breaks = []

    while atoms:
        atom = atoms.popleft()
        tag = _tag_name(atom)
        new_stack = list(stack)
        if tag is not None:
            name, closing = tag
            if closing:
                if new_stack and new_stack[-1][0] == name:
                    new_stack.pop()
            else:
                new_stack.append((name, atom))
        need = size + utf16_len(atom) + utf16_len(_closers(new_stack))
        if need <= limit or not _has_text(current):
            current.append(atom)
            size += utf16_len(atom)
            stack = new_stack
            if atom in _BREAK_PRIORITY and _has_text(current):
                breaks.append((_BREAK_PRIORITY[atom], len(current), tuple(stack), size))
            continue
        # Over the limit: cut at the best break in the second half, else the latest one.
        good = [b for b in breaks if b[3] >= limit // 2]
        if good:
            best = max(good, key=lambda b: (b[0], b[1]))
        elif breaks:
            best = breaks[-1]
        else:
            best = (0, len(current), tuple(stack), size)
        _, index, open_tags, _ = best
        head, rest = current[:index], current[index:]
        chunk = "".join(head) + _closers(open_tags)
        if _has_text(head):
            chunks.append(chunk)
        atoms.appendleft(atom)
        atoms.extendleft(reversed(rest))
        restart(open_tags)
    tail = "".join(current) + _closers(stack)
    if _has_text(current):
        chunks.append(tail)
    return chunks


def split_plain(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split plain text (no parse mode) at paragraph, line or word breaks."""
    return [html.unescape(chunk) for chunk in split_html(escape(text), limit)]
