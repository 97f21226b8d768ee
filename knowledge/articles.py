"""Article files → `Article`: text extraction per format, cleaning, and metadata.

Formats: `.txt` and `.md` (saved pages, cleaned by `cleaning.clean_page`), `.html` (trafilatura,
a maintained main-content extractor) and `.pdf` (pypdf). Metadata comes from a sidecar
`<stem>.meta.json` beside the file (title, outlet, author, date, url), then from what the
page itself shows; a URL is only ever taken from metadata, never made up.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge.cleaning import clean_page
from knowledge.errors import ArticleRejected
from knowledge.records import Article, ArticleMeta
from knowledge.text import normalize

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
SIDECAR_SUFFIX = ".meta.json"
# Bumped when cleaning or chunking changes, so that a new version re-indexes every article.
PIPELINE_VERSION = "1"
MIN_ARTICLE_CHARS = 200
_SENTENCE_END = re.compile(r"[.!?…:;»”\")]\s*$")


def article_files(folder: Path) -> Iterator[Path]:
    """Article files of a folder (recursively, hidden files skipped), in a stable order."""
    for path in sorted(folder.rglob("*")):
        if (
            path.is_file()
            and path.suffix.lower() in SUPPORTED_SUFFIXES
            and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        ):
            yield path


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def content_hash(path: Path) -> str:
    """Hash of what decides the article's chunks: its bytes, its sidecar, the pipeline version."""
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    digest.update(path.read_bytes())
    sidecar = sidecar_path(path)
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()[:32]


def _read_sidecar(path: Path) -> dict[str, str]:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArticleRejected(f"{sidecar.name}: unreadable metadata ({error})") from error
    if not isinstance(data, dict):
        raise ArticleRejected(f"{sidecar.name}: metadata must be a JSON object")
    return {key: str(value) for key, value in data.items() if value is not None}


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise ArticleRejected(f"{name}: this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleRejected(f"{name}: the text is not UTF-8") from error


def _reflow(text: str) -> str:
    """Join hard-wrapped lines (PDF) into paragraphs.

    A paragraph ends at a blank line, after a sentence mark, or after a line much shorter than
    the full ones (a title, the last line of a paragraph).
    """
    lines = text.split("\n")
    full = max((len(line.strip()) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
        if _SENTENCE_END.search(line) or len(line) < 0.6 * full:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def _html_to_page(data: bytes, name: str) -> tuple[str, dict[str, str]]:
    import trafilatura

    html = _decode(data, name)
    document = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, include_images=False, with_metadata=True
    )
    if document is None:
        return "", {}
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = found.get("text") or ""
    meta = {
        "title": found.get("title") or "",
        "author": found.get("author") or "",
        "outlet": found.get("sitename") or "",
        "date": found.get("date") or "",
        "url": found.get("url") or "",
    }
    return f"{meta['title']}\n{text}" if meta["title"] else text, meta


def _pdf_to_page(data: bytes, name: str) -> tuple[str, dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
        info: Any = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
        author = str(info.get("/Author") or "").strip()
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise ArticleRejected(f"{name}: not a readable PDF ({error.__class__.__name__})") from error
    text = _reflow(text)
    return (f"{title}\n{text}" if title else text), {"title": title, "author": author}


def parse_article(
    name: str, data: bytes, sidecar: dict[str, str] | None = None, digest: str = ""
) -> Article:
    """Turn a file's bytes into an `Article`; `name` is the file name (its stem is the doc_id).

    `digest` is the article's content hash (see `content_hash`), empty when only validating.

    Raises:
        ArticleRejected: unsupported type, unreadable file, or too little text once cleaned.
    """
    path = Path(name)
    suffix = path.suffix.lower()
    found: dict[str, str] = {}
    if suffix in (".txt", ".md"):
        page_text = _decode(data, name)
    elif suffix in (".html", ".htm"):
        page_text, found = _html_to_page(data, name)
    elif suffix == ".pdf":
        page_text, found = _pdf_to_page(data, name)
    else:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise ArticleRejected(f"{name}: unsupported file type (supported: {supported})")

    page = clean_page(page_text)
    if len(page.body) < MIN_ARTICLE_CHARS:
        raise ArticleRejected(
            f"{name}: no article text could be extracted ({len(page.body)} characters of body)"
        )
    given = {**{k: v for k, v in found.items() if v}, **(sidecar or {})}
    meta = ArticleMeta(
        doc_id=path.stem,
        title=normalize(given.get("title") or page.title or path.stem),
        outlet=given.get("outlet", ""),
        author=given.get("author") or page.author,
        date=given.get("date", ""),
        url=given.get("url", ""),
        source_file=path.name,
    )
    return Article(meta=meta, text=page.body, content_hash=digest)


def load_article(path: Path) -> Article:
    """Read one article file (and its sidecar) from disk."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArticleRejected(f"{path.name}: cannot be read ({error.strerror})") from error
    return parse_article(path.name, data, _read_sidecar(path), content_hash(path))
