"""The answer is in the asker's language: a reply in the other one falls back, and a sentence
that switches language inside an answer is removed."""

from __future__ import annotations

from bot.citations import strip_citations
from bot.language import text_language
from bot.review.draft import Draft, Fallback, ReviewContext


class LanguageCheck:
    name = "language"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        lang = context.lang
        if draft.sentences is None:
            language = text_language(strip_citations(draft.text))
            if language not in (None, lang):
                raise Fallback("language", f"written in {language}, asked in {lang}")
            return draft
        for sentence in draft.kept:
            language = text_language(strip_citations(sentence.text))
            if language not in (None, lang):
                sentence.removed = f"written in {language}"
        return draft
