"""Clean article text → chunks that respect Vietnamese sentences and paragraphs.

Paragraphs are kept whole when they fit; a long paragraph is split between sentences. A chunk
starts with the last sentence of the previous one (`overlap`), so that a fact stated across a
sentence boundary is still found whole in one chunk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from knowledge.records import Article, Chunk

# A sentence ends at . ! ? … followed by a space and an upper-case letter, a digit, a quote or
# an opening bracket. Abbreviations that end in a dot before a name are guarded.
# A closing quote or bracket after the mark stays with its sentence.
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”»')]))\s+(?=[\"“«'(\[]?[A-ZÀ-Ỹ0-9Đ])")
# A lone capital is a name's initial ("Frederick W. Mote", "Rajendra K. Pachauri"), not the end
# of a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:TP|Tp|TS|ThS|PGS|GS|BS|St|Mr|Mrs|Ms|Dr|Prof|No|Vol|tr|v\.v|U\.S|e\.g|i\.e|[A-ZĐ]))\.$"
)
# The version of these rules. Sentence vectors are stored one per sentence as the rules cut
# them, so an index built under other rules is rebuilt whole (`knowledge.ingest.plan_sync`).
SPLITTING = 2


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph; never splits after an abbreviation such as "TP." or "Dr."."""
    pieces = _SENTENCE_BREAK.split(paragraph.strip())
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _ABBREVIATIONS.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif piece:
            sentences.append(piece)
    return sentences


def _pack(paragraphs: list[str], size: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []  # sentences of the chunk being built; "\n\n" marks a paragraph break
    length = 0
    fresh = False  # whether `current` holds more than the sentences carried over

    def flush() -> None:
        nonlocal current, length, fresh
        if not fresh:  # only carried sentences: drop them rather than repeat them as a chunk
            current, length = [], 0
            return
        chunks.append(" ".join(current).replace(" \n\n ", "\n\n").strip())
        body = [s for s in current if s != "\n\n"]
        carried = body[-overlap:] if overlap > 0 else []
        # Carry the overlap only if it leaves room for new text.
        current = carried if sum(len(s) for s in carried) < size // 2 else []
        length = sum(len(s) + 1 for s in current)
        fresh = False

    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        if current and length + sum(len(s) + 1 for s in sentences) > size:
            flush()
        if current:
            current.append("\n\n")
        for sentence in sentences:
            if current and length + len(sentence) > size:
                flush()
            current.append(sentence)
            length += len(sentence) + 1
            fresh = True
    if fresh:
        chunks.append(" ".join(current).replace(" \n\n ", "\n\n").strip())
    return chunks


def chunk_id(doc_id: str, position: int, text: str) -> str:
    """Deterministic chunk ID: the same article text always gives the same IDs."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return f"{doc_id}:{position:04d}:{digest}"


def _fit_tokens(text: str, fits: Callable[[str], bool]) -> list[str]:
    """`text` cut into pieces the encoder reads whole: between sentences, else between words."""
    if fits(text):
        return [text]
    units = split_sentences(text.replace("\n\n", " "))
    if len(units) == 1:
        units = text.split()
        if len(units) == 1:  # one unbroken token run: cut it in half by characters
            half = len(text) // 2
            return _fit_tokens(text[:half], fits) + _fit_tokens(text[half:], fits)
    pieces: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and not fits(" ".join([*current, unit])):
            pieces.append(" ".join(current))
            current = []
        current.append(unit)
    pieces.append(" ".join(current))
    if len(pieces) == 1:  # a single unit too long on its own
        middle = len(units) // 2
        pieces = [" ".join(units[:middle]), " ".join(units[middle:])]
    return [fitted for piece in pieces for fitted in _fit_tokens(piece, fits)]


def chunk_article(
    article: Article,
    size: int = 700,
    overlap: int = 1,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int = 0,
) -> list[Chunk]:
    """Chunks of an article, in order, each with the article's metadata and its position.

    With `count_tokens` (the encoder's tokenizer) and `max_tokens`, a chunk that would not fit
    the encoder's window together with the title it is embedded with is cut further, so that
    no passage loses its tail to truncation.
    """
    paragraphs = [p for p in article.text.split("\n\n") if p.strip()]
    texts = _pack(paragraphs, size, overlap)
    if count_tokens is not None and max_tokens > 0:
        title = f"{article.meta.title}\n"

        def fits(text: str) -> bool:
            return count_tokens(title + text) <= max_tokens

        texts = [piece for text in texts for piece in _fit_tokens(text, fits)]
    return [
        Chunk(
            chunk_id=chunk_id(article.meta.doc_id, position, text),
            meta=article.meta,
            position=position,
            text=text,
            content_hash=article.content_hash,
        )
        for position, text in enumerate(texts)
    ]
