"""What kind of thing a question asks for (a date, a number, someone), and what holds one.

The extractive backend prefers the sentences that hold the asked kind; the review of a model's
draft checks that the answer holds it when its sources do ("kết thúc vào ngày nào?" answered
"kết thúc sau 3 ngày họp" answers something else).
"""

from __future__ import annotations

import re

from knowledge.text import fold, words

# On folded text (no diacritics, lower case).
_WHEN = re.compile(
    r"\b(khi nao|bao gio|ngay nao|nam nao|thang nao|luc nao|when|what year|what date|which year)\b"
)
_HOW_MANY = re.compile(r"\b(bao nhieu|may|how many|how much|what number)\b")
# A yes/no or either/or question: its answer may be its own words. Yes/no on folded text;
# either/or as written, since folding makes "hãy" (please) the "hay" (or) of "A hay B".
_YES_NO = re.compile(
    r"\b(?:khong|chua|phai khong|dung khong)\W*$|^(?:co phai|lieu|is|are|was|were|do|does|did|"
    r"can|could|has|have|had|will|would|should)\b"
)
_EITHER_OR = re.compile(r"\b(?:hay|hoặc|or)\b")
# How a Vietnamese question asks (folded): a model's sentence still holding its question's phrase
# echoes the question (bot/review/restating.py).
_ASKING = re.compile(
    r"\b(?:bao lau|bao nhieu|bao gio|khi nao|luc nao|(?:ngay|thang|nam) nao|la gi|nhu the nao"
    r"|o dau|tai sao|vi sao)\b"
)
_WHO = re.compile(r"\b(ai|who|whom|nguoi nao|which organi[sz]ation|to chuc nao)\b")

# On text as written: what the extractive ranking counts as a date or a number in a sentence.
DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b(?:19|20)\d{2}\b|\b(?:ngày|tháng|năm) \d{1,4}\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d")


def asked_kind(question: str) -> str | None:
    """ "when", "how_many", "who" or None (anything else: what, why, how)."""
    folded = " ".join(words(question))
    if _WHEN.search(folded):
        return "when"
    if _HOW_MANY.search(folded):
        return "how_many"
    if _WHO.search(" ".join(words(_without_names(question)))):
        return "who"
    return None


def _without_names(question: str) -> str:
    """The question without capitalised words after its first: "Doctor Who" and "Ai Cập"
    (Egypt) are names, not "who" and "ai" asking for someone."""
    tokens = question.split()
    return " ".join(tokens[:1] + [t for t in tokens[1:] if not t[:1].isupper()])


def answerable_in_its_words(question: str) -> bool:
    """A yes/no or either/or question ("… có tham dự không?", "Geneva or Vienna?")."""
    return bool(_YES_NO.search(" ".join(words(question)))) or offers_a_choice(question)


def offers_a_choice(question: str) -> bool:
    """An either/or question ("… phục hồi hay bị mất?", "Geneva or Vienna?")."""
    return bool(_EITHER_OR.search(question.lower()))


def asking_phrases(text: str) -> set[str]:
    """The Vietnamese phrases a text asks with ("bao lâu", "là gì"), folded."""
    return set(_ASKING.findall(" ".join(words(text))))


def counted_noun(question: str) -> str | None:
    """What a how-many question counts ("bao nhiêu đoàn đại biểu" → "doan"), folded."""
    folded = " ".join(words(question))
    match = re.search(r"\b(?:bao nhieu|how many|so luong)\s+(\w+)", folded)
    if not match:
        return None
    return match.group(1)


def counts(text: str, noun: str) -> bool:
    """Whether the text gives a number of `noun` ("100 đoàn đại biểu" counts "doan")."""
    return bool(re.search(rf"\d[\d.,]*\s+(?:\w+\s+){{0,3}}{re.escape(noun)}\b", fold(text)))
