"""The answer is in the asker's language: a reply in the other one falls back, and a sentence
that switches language inside an answer is removed.

An English sentence with lower-case Vietnamese words in it ("the work of dược professionals")
is removed too: half-translated, it reads as neither language. Words in quotation marks are
the sources' own, which an English answer to Vietnamese sources may give ('also known as "biểu
đồ gậy khúc côn cầu"'): they do not count, and bot/review/quoting.py holds them to the sources.
"""

from __future__ import annotations

import re

from bot.citations import strip_citations
from bot.language import text_language
from bot.review.draft import Draft, Fallback, ReviewContext
from knowledge.language import spelt_only_in_vietnamese
from knowledge.text import LETTERS

QUOTED = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»')


def language_of(text: str) -> str | None:
    """The language of a model's text, its citations and quoted words left out (unless the
    quotes are nearly all of it: a bare Vietnamese quote does not answer in English)."""
    text = strip_citations(text)
    unquoted = QUOTED.sub(" ", text)
    return text_language(unquoted if len(LETTERS.findall(unquoted)) >= 3 else text)


class LanguageCheck:
    name = "language"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        lang = context.lang
        if draft.sentences is None:
            language = language_of(draft.text)
            if language not in (None, lang):
                raise Fallback("language", f"written in {language}, asked in {lang}")
            return draft
        for sentence in draft.kept:
            language = language_of(sentence.text)
            if language not in (None, lang):
                sentence.removed = f"written in {language}"
            elif lang == "en" and _mixes_vietnamese(sentence.text):
                sentence.removed = "mixes Vietnamese words into English"
        return draft


def _mixes_vietnamese(sentence: str) -> bool:
    """Whether an English sentence holds Vietnamese words outside quotes and names (Qwen on
    XQuAD: "overseeing the work of dược professionals", "the activities of dượcists")."""
    # Lower case, so no name; spelt with a letter only Vietnamese has, so no English word.
    words = LETTERS.findall(QUOTED.sub(" ", strip_citations(sentence)))
    return any(word[0].islower() and spelt_only_in_vietnamese(word) for word in words)
