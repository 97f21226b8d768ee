"""Vietnamese-aware text primitives: normalisation, tone-mark folding and lexical tokens.

Folding maps "Việt Nam đã cử" and "Viet Nam da cu" to the same tokens, so that people who type
without tone marks (as many do on phones) find the same passages. Lexical tokens are syllables
plus syllable bigrams: Vietnamese words are mostly two syllables, and bigrams recover them
without a word segmenter.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_WORD = re.compile(r"[\w]+(?:[./-]\w+)*", re.UNICODE)
# A run of letters: a Vietnamese syllable, an English word, a name; digits and "_" split it.
LETTERS = re.compile(r"[^\W\d_]+")
_PARTS = re.compile(r"[./-]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")

# Function words that carry no topic, folded; kept short so that questions like
# "ai", "khi nào" still keep their content words.
STOPWORDS = frozenset(
    """
    va la cua co cac nhung mot duoc trong cho voi den tu tai ve nay do thi ma nhu khi da se
    dang bi boi theo vao ra len cung con nen neu hay hoac rat the and or of the a an in on
    at to for by with from is are was were be been what which who whom when where why how
    does did do this that these those it its
    """.split()
)


def normalize(text: str) -> str:
    """NFC-normalise and tidy whitespace inside lines (line breaks are kept)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def fold(text: str) -> str:
    """Lower-case, and strip Vietnamese tone and vowel marks (đ → d)."""
    return strip_marks(text.lower())


def strip_marks(text: str) -> str:
    """Vietnamese tone and vowel marks stripped (đ → d), case kept: "Đội" → "Doi"."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


def words(text: str) -> list[str]:
    """Folded syllables and numbers of a text, in order (e.g. "20/3" and "RCEP" stay whole)."""
    return _WORD.findall(fold(text))


def lexical_tokens(text: str) -> list[str]:
    """Tokens for BM25: folded content syllables plus bigrams of adjacent syllables."""
    syllables = words(text)
    tokens = [w for w in syllables if w not in STOPWORDS]
    # "20/3/2019" also yields "20", "3", "2019" so that "20/3" and "năm 2019" meet it.
    tokens.extend(part for w in syllables if not w.isalnum() for part in _PARTS.split(w) if part)
    tokens.extend(f"{a}_{b}" for a, b in itertools.pairwise(syllables))
    return tokens


def content_words(text: str) -> list[str]:
    """Folded syllables without stopwords, deduplicated in order."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)
