"""Page boilerplate out, article body in.

Saved news pages carry navigation, teaser lists, related-article blocks, comment forms, share
buttons and photo captions around the body. The method is general, in the spirit of jusText:
1. Lines are tidied (markdown image and table residue removed) and classified: a *paragraph* is
   prose (a full sentence, or a line longer than any headline); anything else is a headline,
   a link or a button.
2. Captions (a photo credit "Ảnh: …", "- ảnh 1") and repeats of earlier lines are dropped.
3. Once the body has started, a section heading that pages use for what follows an article
   ("Tin khác", "Đọc thêm", "Related", comment forms…) or a teaser block (a headline printed twice
   in a row, as listing widgets do) ends the article: everything after it is cut.
4. Short lines are kept only between two paragraphs (sub-headings inside the body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import fold, normalize

# Headings that open the parts of a page after an article body, folded. They are the generic
# section names of Vietnamese and English news sites, not lines of any particular page.
_TAIL_HEADINGS = (
    "co the ban quan tam",
    "ban co the quan tam",
    "tin khac",
    "tin lien quan",
    "tin cung chuyen muc",
    "tin moi",
    "tin moi nhat",
    "tin doc nhieu",
    "doc nhieu",
    "doc them",
    "xem them",
    "nen xem",
    "bai viet cung chu de",
    "bai viet lien quan",
    "bai lien quan",
    "cung chu de",
    "phan hoi",
    "binh luan",
    "y kien ban doc",
    "gui binh luan",
    "viet binh luan",
    "tags",
    "tu khoa",
    "nguon",
    "phien ban di dong",
    "related",
    "related articles",
    "related news",
    "read more",
    "more news",
    "see also",
    "you may also like",
    "comments",
    "leave a comment",
)
# Lines that are page furniture wherever they appear.
_FURNITURE = re.compile(
    r"^(chia se|share|in bai|print|theo doi .{0,40} tren|follow us.*|quay lai|back|"
    r"trang chu|home|dang nhap|login|tweet|email|facebook|zalo|copy link)$"
)
_CAPTION = re.compile(r"\b(anh|photo|nguon anh|image)\s*:\s*\S[^:]{0,40}$|\s-\s+anh\s+\d+\b")
_TIMESTAMP = re.compile(r"^(tin moi\s+)?\d{1,2}/\d{1,2}/\d{4}(\s+\d{1,2}:\d{2})?$")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"[.!?…:;»”\"')]\s*$")

# Prose: a full sentence of some length, or a line long enough that no headline is.
MIN_SENTENCE_WORDS = 6
MIN_UNPUNCTUATED_WORDS = 20


@dataclass(frozen=True)
class CleanPage:
    """The article body and what the page showed about it."""

    title: str
    author: str
    body: str  # paragraphs separated by blank lines


def _tidy(line: str) -> str:
    line = _MARKDOWN_IMAGE.sub(" ", line)
    line = _MARKDOWN_LINK.sub(r"\1", line)
    line = line.strip().strip("|").strip()
    line = re.sub(r"\s*\|\s*(\|\s*)*$", "", line)
    line = line.lstrip("#>*").strip()
    return re.sub(r"\s+", " ", line)


def _is_paragraph(line: str) -> bool:
    n_words = len(line.split())
    if n_words >= MIN_UNPUNCTUATED_WORDS:
        return True
    return n_words >= MIN_SENTENCE_WORDS and bool(_SENTENCE_END.search(line))


def is_heading(line: str) -> bool:
    """A line too short to be prose and without a sentence end ("Sự tham gia của UNOSSC"):
    a section title, which names a topic and states nothing."""
    return len(line.split()) < MIN_SENTENCE_WORDS and not _SENTENCE_END.search(line)


def _is_author(line: str) -> bool:
    # A by-line: one to four capitalised words, no digits or punctuation ("Hồng Vân").
    parts = line.split()
    return 1 <= len(parts) <= 4 and all(p[:1].isupper() and p.isalpha() for p in parts)


def _heading_key(line: str) -> str:
    return fold(line).strip(" :.-–—|>»").strip()


def clean_page(raw: str) -> CleanPage:
    """Split a saved page into title, author and body, leaving boilerplate out."""
    lines = [_tidy(line) for line in normalize(raw).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return CleanPage(title="", author="", body="")
    title, rest = lines[0], lines[1:]
    author = ""

    kept: list[tuple[str, bool]] = []  # (line, is_paragraph)
    seen: set[str] = {fold(title)}
    body_started = False
    for i, line in enumerate(rest):
        key = _heading_key(line)
        if body_started and (key in _TAIL_HEADINGS or key.startswith("nguon:")):
            break
        # A headline printed twice in a row is a listing widget (teaser); after the body it
        # means the article is over.
        next_line = rest[i + 1] if i + 1 < len(rest) else ""
        if line == next_line:
            if body_started:
                break
            continue
        if key in _TAIL_HEADINGS or _FURNITURE.match(key) or _TIMESTAMP.match(key):
            continue
        if _CAPTION.search(fold(line)):
            continue
        folded = fold(line)
        if folded in seen:
            continue
        seen.add(folded)
        paragraph = _is_paragraph(line)
        if not body_started and not paragraph:
            if not author and _is_author(line):
                author = line
            continue
        body_started = body_started or paragraph
        kept.append((line, paragraph))

    # Short lines survive only as sub-headings between two paragraphs.
    body = [
        line
        for j, (line, paragraph) in enumerate(kept)
        if paragraph or (0 < j < len(kept) - 1 and kept[j - 1][1] and kept[j + 1][1])
    ]
    return CleanPage(title=title, author=author, body="\n\n".join(body))
