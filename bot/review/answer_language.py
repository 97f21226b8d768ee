"""The answer is in the asker's language: a reply in the other one falls back, and a sentence
that switches language inside an answer is removed.

An English sentence with lower-case Vietnamese words in it ("the work of dược professionals")
is removed too: half-translated, it reads as neither language. A name kept as its source writes
it ("ABC launched Kịch mục Alpha in 1981 [1]", the source's name of the channel) is no mix: the
prompt asks for names as the sources write them. A sentence without a citation may take its
name from any source sent, as attribution may then cite it. Words in quotation marks are
the sources' own, which an English answer to Vietnamese sources may give ('also known as "biểu
đồ gậy khúc côn cầu"'): they do not count, and bot/review/quoting.py holds them to the sources.
"""

from __future__ import annotations

import re

from bot.citations import strip_citations
from bot.grounding import Grounder
from bot.language import text_language
from bot.review.draft import Draft, Fallback, ReviewContext
from knowledge.language import is_vietnamese_syllable, spelt_only_in_vietnamese
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
            # An uncited sentence gets its citation later (attribution): until then its names
            # may stand in any passage sent.
            elif lang == "en" and _mixes_vietnamese(
                sentence.text,
                context.grounder,
                sentence.sources or tuple(range(1, len(context.passages) + 1)),
            ):
                sentence.removed = "mixes Vietnamese words into English"
        return draft


def _mixes_vietnamese(sentence: str, grounder: Grounder, sources: tuple[int, ...]) -> bool:
    """Whether an English sentence holds Vietnamese words outside quotes and names (Qwen on
    XQuAD: "overseeing the work of dược professionals", "the activities of dượcists").

    A lower-case Vietnamese word inside a name ("Kịch mục Alpha") belongs to it when the words
    from the name's capitalised first one to it stand in a row in a source it cites.
    """
    words = LETTERS.findall(QUOTED.sub(" ", strip_citations(sentence)))
    # Lower case, so no name; spelt with a letter only Vietnamese has, so no English word.
    return any(
        word[0].islower()
        and spelt_only_in_vietnamese(word)
        and not _in_a_sourced_name(words, i, grounder, sources)
        for i, word in enumerate(words)
    )


def _in_a_sourced_name(
    words: list[str], i: int, grounder: Grounder, sources: tuple[int, ...]
) -> bool:
    start = i
    while start > 0 and is_vietnamese_syllable(words[start - 1]):
        start -= 1
        if words[start][0].isupper():
            return grounder.holds(sources, " ".join(words[start : i + 1]))
    return False
