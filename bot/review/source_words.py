"""The sources' own words behind a translated answer.

A model answering an English question from Vietnamese articles translates them, and a reader
who cannot read the sources cannot check the translation ("8 tháng 2 năm 2007" became
"February 8, 2007"; "bệnh giảm áp", decompression sickness, has become "decreased blood
pressure"). So after such an answer the bot quotes, as the extractive answer does, the source
sentence each kept claim rests on: the one the encoder finds closest to it, and where the
claim joins facts of two sentences ("signed a Statement of Intent with the IAEA at HLPF
2024"), the sentence that holds the numbers and acronyms the first one lacks. A journalist can
then cite the article's words, or paste them into a translator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.citations import strip_citations
from bot.grounding import digit_numbers, stated_facts
from bot.language import SOURCE_WORDS, Lang, text_language
from bot.review.draft import ReviewContext, Sentence
from bot.review.meaning import Support
from knowledge.text import fold

# A source sentence of fewer words (an article's title or date line) is no quote.
QUOTE_WORDS = 5
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+\b")
_GAP = " …"  # joins the excerpts sent to the model (bot/excerpts.py)
_LIST_MARK = re.compile(r"^[-–•*]\s+")


def source_words(sentences: Sequence[Sentence], context: ReviewContext) -> list[tuple[int, str]]:
    """The ([n], sentence) pairs to quote after the kept `sentences`, in their order, each once:
    for each claim, its evidence where written in another language than the answer's."""
    scorer = context.meaning
    if scorer is None:
        return []
    quotes: dict[str, int] = {}
    for sentence in sentences:
        if not sentence.factual or not sentence.sources:
            continue
        claim = strip_citations(sentence.text)
        ranked = [
            s
            for s in scorer.ranked(claim, sentence.sources)
            if len(s.sentence.split()) >= QUOTE_WORDS
        ]
        if not ranked or text_language(ranked[0].sentence) in (None, context.lang):
            continue
        for quote in _evidence(claim, ranked):
            quotes.setdefault(_as_quoted(quote.sentence), quote.source)
    return [(n, text) for text, n in quotes.items()]


def _evidence(claim: str, ranked: list[Support]) -> list[Support]:
    """The closest sentence, and the one that holds most of what it lacks, if any."""
    # What the claim states to the letter: numbers written in digits ("first" and "một" are
    # numbers to the exact checks, but every other sentence holds one), and acronyms.
    wanted = {*digit_numbers(claim), *map(fold, _ACRONYM.findall(claim))}
    closest = ranked[0]
    missing = wanted - _holds(closest.sentence)
    if not missing:
        return [closest]
    held = [(len(missing & _holds(s.sentence)), s) for s in ranked[1:]]
    count, other = max(held, key=lambda pair: pair[0], default=(0, closest))
    return [closest, other] if count else [closest]


def _holds(sentence: str) -> set[str]:
    """The numbers (in digits or words) and acronyms a source sentence states, folded."""
    numbers, _ = stated_facts(sentence)
    return {*numbers, *map(fold, _ACRONYM.findall(sentence))}


def _as_quoted(sentence: str) -> str:
    """A source sentence without the list mark it opens with ("- Quan hệ đối tác…") or the
    mark of an excerpt gap it ends with: neither is the article's wording."""
    return _LIST_MARK.sub("", sentence.strip().removesuffix(_GAP)).strip()


def with_source_words(text: str, quotes: Sequence[tuple[int, str]], lang: Lang) -> str:
    """A model's checked `text`, then the `quotes` under their heading, as the model cited them."""
    if not quotes:
        return text
    lines = "\n".join(f"• “{sentence}” [{n}]" for n, sentence in quotes)
    return f"{text}\n\n{SOURCE_WORDS[lang]}\n{lines}"


def without_source_words(text: str) -> str:
    """An answer's text less the quoted source words: what the model itself wrote."""
    for heading in SOURCE_WORDS.values():
        text = text.split(f"\n\n{heading}\n", 1)[0]
    return text
