"""Grounded sentences: each sentence of a model's answer checked against the passages it cites.

Valid citation numbers (bot/citations.py) do not make a sentence true: a weak model copies a
source and changes its date ("Ngày 22/3 …" becomes "19/3"), or cites [1] for a claim that no
source makes. Each sentence must find in the passages it cites (title and date included):

- its numbers and dates, formats normalised: "1.000" = "1,000" = "1000"; "22/3" = "22-3" =
  "ngày 22 tháng 3" = "March 22"; "2021-08-13" = "13/8/2021";
- its names: runs of capitalised words and acronyms ("Bùi Thanh Sơn", "ESCAP"), tone marks
  folded ("Bui Thanh Son" is found), the first word of a sentence not counted as a name unless
  a Vietnamese sentence opens with a word no Vietnamese syllable spells (an invented
  "Lýsis đã cung cấp…" is a name to find, "Tóm lại" is not);
- at least half of its content words, when it is written in the passages' language.

An English sentence citing Vietnamese passages is checked by its numbers, dates and names only:
acronyms and Vietnamese names (typed with or without marks) as written; other capitalised
English words ("Geneva", "United Nations") may be translations, so they are reported
(`SentenceCheck.translated`) for the meaning check (bot/review/meaning.py) to weigh.

A sentence without a citation is unsupported: users who ask for sources want no uncited facts.
The exception is a short connective that states nothing ("Cụ thể như sau:", "In summary:"): it
is kept beside supported sentences, but an answer needs at least one supported sentence that
states something checkable (`Grounding.grounded`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.citations import cited_numbers, strip_citations
from bot.language import Lang, text_language
from bot.model_output import split_sentences
from knowledge.language import ENGLISH_FUNCTION_WORDS, is_english, is_vietnamese_syllable
from knowledge.sentences import chunk_sentences
from knowledge.text import LETTERS, STOPWORDS, fold

__all__ = [
    "Grounder",
    "Grounding",
    "SentenceCheck",
    "content_words",
    "digit_numbers",
    "ground_answer",
    "stated_facts",
]

CONTENT_SHARE = 0.5  # least share of a sentence's content words found in its cited passages
_MAX_CONNECTIVE_WORDS = 8

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th)?"
# Date patterns on folded text; each gives (day, month). The year, when written, is checked
# as a number of its own.
_DATES = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), 3, 2),  # 2021-08-13
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), 1, 2),  # 13.8.2021
    (re.compile(r"\b(\d{1,2})\s*[/-]\s*(\d{1,2})\b(?!\s*[.,]\d)"), 1, 2),  # 22/3, 22-3
    (re.compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})\b"), 1, 2),  # (ngày) 22 tháng 3
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}){_ORDINAL}\b"), 2, 1),  # March 22
    (re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({_MONTH})\b"), 1, 2),  # 22 March
)
_DAY_RANGE = re.compile(
    r"\b(\d{1,2})\s*[-–]\s*(\d{1,2})\s*(?:/|\s+thang\s+)(\d{1,2})\b(?!/\d{1,2}\b)"
)
# Numbers written as words, which a passage may use where a sentence has digits ("lần thứ
# hai"). Unfolded: folded "năm" (five, year) and "ba" would be everywhere.
_NUMBER_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}  # fmt: skip
# Words of sentences that only lead into or wrap up an answer (folded).
_CONNECTIVE_WORDS = frozenset(
    """
    tom lai cu the nhu sau theo cac nguon thong tin duoc cung cap duoi day tren tra loi ket luan
    ngoai ra vi vay tuy nhien dong thoi ben canh
    in summary according sources source answer here following follows short also moreover
    however therefore overall conclusion addition information provided below above
    """.split()
)
_CLAUSE_START = re.compile(r"[:;!?“\"(«\n]")


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an answer and what checking it found.

    Attributes:
        text: The sentence as written, with the whitespace after it.
        sources: The source numbers it cites.
        supported: Whether it may be shown.
        factual: Whether it states something checkable (a number, date, name, content words).
        reason: Why it is unsupported, for logs ("date 19/3 not in [1]").
        translated: Names in English that the Vietnamese sources may have translated, so
            not found as written ("Geneva", "United Nations"): only meaning can vouch for them.
    """

    text: str
    sources: tuple[int, ...]
    supported: bool
    factual: bool
    reason: str = ""
    translated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grounding:
    """An answer's sentences, each checked against its cited passages."""

    sentences: tuple[SentenceCheck, ...]

    @property
    def text(self) -> str:
        """The answer with its unsupported sentences removed."""
        return "".join(s.text for s in self.sentences if s.supported).strip()

    @property
    def removed(self) -> list[SentenceCheck]:
        """The unsupported sentences."""
        return [s for s in self.sentences if not s.supported]

    @property
    def grounded(self) -> bool:
        """Whether a supported sentence states something: else the answer is not worth showing."""
        return any(s.supported and s.factual for s in self.sentences)


@dataclass(frozen=True)
class _Facts:
    numbers: frozenset[str]
    dates: frozenset[tuple[int, int]]


def stated_facts(text: str) -> tuple[frozenset[str], frozenset[tuple[int, int]]]:
    """The numbers (digits or words, date parts included) and (day, month) dates a text
    states, as the exact checks read them."""
    facts = _Evidence(text).facts
    return facts.numbers, facts.dates


def digit_numbers(text: str) -> set[str]:
    """The numbers a text writes in digits, one spelling each ("68,511" and "68.511" → "68511")."""
    return {_number_form(n) for n in _NUMBER.findall(text)}


class _Evidence:
    """What the passages a sentence cites say: folded words, numbers, dates, language."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Words in a row are read within one sentence: joined across a sentence's end, "… của
        # Denver." and the next passage's "Broncos đã…" made a "Denver Broncos" no source says.
        self.runs = [LETTERS.findall(fold(sentence)) for sentence in chunk_sentences(text)]
        self.vocabulary = frozenset(word for run in self.runs for word in run)
        # Adjacent words run together, so that "Vietnam" meets "Viet Nam".
        self.joined = frozenset(
            "".join(run[i : i + size])
            for run in self.runs
            for size in (1, 2, 3)
            for i in range(len(run))
        )
        # Initials of adjacent words, so that "LHQ" meets "Liên hợp quốc".
        self.initials = frozenset(
            "".join(w[0] for w in run[i : i + size])
            for run in self.runs
            for size in range(2, 7)
            for i in range(len(run) - size + 1)
        )

    @cached_property
    def facts(self) -> _Facts:
        dates, _ = _dates(fold(self.text))
        numbers = digit_numbers(self.text)
        # The parts of dates count as numbers too: "22/3/2023" holds 2023.
        numbers.update(str(int(n)) for n in re.findall(r"\d+", self.text))
        numbers.update(
            str(_NUMBER_WORDS[w]) for w in LETTERS.findall(self.text.lower()) if w in _NUMBER_WORDS
        )
        return _Facts(frozenset(numbers), frozenset(dates))

    @cached_property
    def language(self) -> str | None:
        return text_language(self.text)

    def has(self, words: Sequence[str], loose: bool = False) -> bool:
        """Whether the folded words occur here in a row (or run together, as "vietnam")."""
        if not words:
            return True
        if "".join(words) in self.joined:
            return True
        size = len(words)
        return any(
            all(_same(run[i + j], words[j], loose) for j in range(size))
            for run in self.runs
            for i in range(len(run) - size + 1)
        )


def _same(found: str, wanted: str, loose: bool) -> bool:
    # English inflects ("established" / "establishment"): loosely, five letters in common do.
    return found == wanted or (loose and len(wanted) >= 5 and found[:5] == wanted[:5])


def _number_form(token: str) -> str:
    """One spelling per number: "1.000", "1,000" and "1000" → "1000"; "1,5" and "1.5" → "1.5"."""
    parts = re.split(r"[.,]", token)
    if len(parts) > 1 and all(len(part) == 3 for part in parts[1:]):
        return str(int("".join(parts)))
    if len(parts) > 1:
        whole = "".join(parts[:-1])
        fraction = parts[-1].rstrip("0")
        return f"{int(whole)}.{fraction}" if fraction else str(int(whole))
    return str(int(token))


def _dates(folded: str) -> tuple[set[tuple[int, int]], str]:
    """The (day, month) dates of a folded text, and the text with them blanked out.

    A year written with a date stays in the text, to be checked as a number. A range of days
    ("20-22/3", "20 - 22 tháng 3") holds each of its days.
    """
    found: set[tuple[int, int]] = set()
    pieces: list[str] = []
    last = 0
    for days in _DAY_RANGE.finditer(folded):
        first, final, month = (int(days.group(g)) for g in (1, 2, 3))
        if 1 <= first < final <= 31 and 1 <= month <= 12:
            found.update((day, month) for day in range(first, final + 1))
            pieces += [folded[last : days.start()], " "]
            last = days.end()
    folded = "".join([*pieces, folded[last:]])
    for pattern, day_group, month_group in _DATES:
        pieces, last, position = [], 0, 0
        while match := pattern.search(folded, position):
            date = _valid_date(match.group(day_group), match.group(month_group))
            if date is None:  # "20-22" is no date, but "22/3" may start inside it
                position = match.start() + 1
                continue
            found.add(date)
            year = re.search(r"\d{4}", match.group())
            pieces += [folded[last : match.start()], f" {year.group()} " if year else " "]
            last = position = match.end()
        folded = "".join([*pieces, folded[last:]])
    return found, folded


def _valid_date(day_text: str, month_text: str) -> tuple[int, int] | None:
    day = int(day_text)
    month = _MONTHS[month_text] if month_text in _MONTHS else int(month_text)
    if month > 12 and day <= 12:
        day, month = month, day  # 3/22, the American order
    return (day, month) if 1 <= day <= 31 and 1 <= month <= 12 else None


def _sentence_facts(body: str) -> tuple[list[str], list[tuple[int, int]]]:
    dates, rest = _dates(fold(body))
    return [_number_form(n) for n in _NUMBER.findall(rest)], sorted(dates)


def _name_runs(body: str, lang: Lang | None = None) -> list[list[str]]:
    """Runs of capitalised words and acronyms, as written.

    Every sentence (and clause after a colon or a quote) starts with a capital, so a run's
    first word there is no name unless it is an acronym or, in a Vietnamese sentence (`lang`
    "vi"), a word no Vietnamese syllable spells; month names are dates, not names.
    """
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    current_initial = False
    previous_end = 0
    for match in LETTERS.finditer(body):
        word, gap = match.group(), body[previous_end : match.start()]
        previous_end = match.end()
        initial = not body[: match.start()].strip(" -*•\t\n") or bool(_CLAUSE_START.search(gap))
        if word[0].isupper() and fold(word) not in _MONTHS:
            if current and not initial and re.fullmatch(r"[\s\-–]*", gap):
                current.append(word)
                continue
            if current:
                runs.append((current, current_initial))
            current, current_initial = [word], initial
        elif current:
            runs.append((current, current_initial))
            current = []
    if current:
        runs.append((current, current_initial))
    names: list[list[str]] = []
    for words, initial in runs:
        if initial and not _is_acronym(words[0]) and not _foreign_opening(words[0], lang):
            words = words[1:]
        while words and words[0].lower() in ENGLISH_FUNCTION_WORDS:
            words = words[1:]
        if words:
            names.append(words)
    return names


def _is_acronym(word: str) -> bool:
    return word.isupper() and len(word) > 1


def _foreign_opening(word: str, lang: Lang | None) -> bool:
    # An English sentence opens with ordinary capitalised words ("Environmentalists are…"),
    # a Vietnamese one with Vietnamese syllables: a foreign word there is a name.
    return lang == "vi" and not is_vietnamese_syllable(word)


def _folded(words: Sequence[str]) -> list[str]:
    return LETTERS.findall(fold(" ".join(words)))


def _name_found(name: list[str], evidence: _Evidence, lang: Lang, cross: bool) -> str:
    """ "found", "missing", or "translated": an English word of a name, which a Vietnamese
    passage may translate ("United Nations" is "Liên hợp quốc") and so is not found as written.
    """
    if len(name) == 1 and _is_acronym(name[0]) and fold(name[0]) in evidence.initials:
        return "found"
    if evidence.has(_folded(name), loose=lang == "en"):
        return "found"
    if not cross:
        return "missing"
    if lang != "en":
        # Vietnamese sentence, English passage: acronyms only.
        return "missing" if any(_is_acronym(w) for w in name) else "translated"
    # English sentence, Vietnamese passage: runs of Vietnamese syllables (a Vietnamese name
    # typed without marks: "Bui Thanh Son") must be there; English words and acronyms of a name
    # may be translated ("UN" is "Liên hợp quốc"), and are left to the meaning check.
    groups: list[list[str]] = [[]]
    translated = False
    for word in name:
        if not _is_acronym(word) and not is_english(word):
            groups[-1].append(word)
        else:
            translated = True
            groups.append([])
    if not all(evidence.has(_folded(group)) for group in groups if group):
        return "missing"
    return "translated" if translated else "found"


def content_words(body: str) -> list[str]:
    """A text's folded words, once each, without function words: what the exact checks look
    for in the cited passages."""
    return [
        w
        for w in dict.fromkeys(LETTERS.findall(fold(body)))
        if len(w) > 1 and w not in STOPWORDS and w not in ENGLISH_FUNCTION_WORDS
    ]


def _is_connective(body: str) -> bool:
    words = LETTERS.findall(fold(body))
    if re.search(r"\d", body) or len(words) > _MAX_CONNECTIVE_WORDS:
        return False
    if body.rstrip().endswith(":"):  # it introduces what follows ("Theo Bộ Ngoại giao:")
        return True
    return not _name_runs(body) and all(
        w in _CONNECTIVE_WORDS or w in STOPWORDS or w in ENGLISH_FUNCTION_WORDS for w in words
    )


class Grounder:
    """Checks sentences against numbered sources; built once per answer.

    `check` serves a stream sentence by sentence, `ground` a whole answer.
    """

    def __init__(self, sources: Sequence[str], lang: Lang) -> None:
        """Args:
        sources: The text of each source (passage, with its title and date); [n] cites
            `sources[n - 1]`.
        lang: The answer's language.
        """
        self.lang = lang
        self._evidence = [_Evidence(source) for source in sources]
        self._cited: dict[tuple[int, ...], _Evidence] = {}

    def _cited_evidence(self, sources: tuple[int, ...]) -> _Evidence:
        if sources not in self._cited:
            self._cited[sources] = (
                self._evidence[sources[0] - 1]
                if len(sources) == 1
                else _Evidence("\n".join(self._evidence[n - 1].text for n in sources))
            )
        return self._cited[sources]

    def holds(self, sources: Sequence[int], phrase: str) -> bool:
        """Whether what the citations `sources` stand for holds `phrase`'s words in a row
        (folded); False when none of them is a known source."""
        valid = tuple(n for n in dict.fromkeys(sources) if 1 <= n <= len(self._evidence))
        return bool(valid) and self._cited_evidence(valid).has(_folded([phrase]))

    def ground(self, text: str) -> Grounding:
        """Check each sentence of an answer (citations of unknown sources are ignored)."""
        return Grounding(tuple(self.check(sentence) for sentence in split_sentences(text)))

    def check(self, sentence: str) -> SentenceCheck:
        """Check one sentence against the sources it cites."""
        lang = self.lang
        sources = tuple(n for n in cited_numbers(sentence) if 1 <= n <= len(self._evidence))
        body = strip_citations(sentence)
        if not sources:
            if _is_connective(body):
                return SentenceCheck(sentence, (), True, False)
            return SentenceCheck(sentence, (), False, True, "no citation")
        cited = self._cited_evidence(sources)
        return _check(sentence, body, sources, cited, lang)


def _check(
    sentence: str, body: str, sources: tuple[int, ...], cited: _Evidence, lang: Lang
) -> SentenceCheck:
    where = "".join(f"[{n}]" for n in sources)

    def unsupported(reason: str) -> SentenceCheck:
        return SentenceCheck(sentence, sources, False, True, f"{reason} not in {where}")

    numbers, dates = _sentence_facts(body)
    for day, month in dates:
        if (day, month) not in cited.facts.dates:
            return unsupported(f"date {day}/{month}")
    for number in numbers:
        if number not in cited.facts.numbers:
            return unsupported(f"number {number}")
    cross = cited.language not in (None, lang)
    names = _name_runs(body, lang)
    translated: list[str] = []
    for name in names:
        verdict = _name_found(name, cited, lang, cross)
        if verdict == "missing":
            return unsupported(f"name {' '.join(name)!r}")
        if verdict == "translated":
            translated.append(" ".join(name))
    content = [] if cross else content_words(body)
    if content:
        found = sum(
            1
            for w in content
            if w in cited.vocabulary or (lang == "en" and cited.has([w], loose=True))
        )
        if found / len(content) < CONTENT_SHARE:
            return unsupported(f"{len(content) - found} of {len(content)} content words")
    # An English sentence about Vietnamese passages states something too: its content words
    # count here even though they cannot be matched (the meaning check weighs them).
    factual = bool(numbers or dates or names or len(content or content_words(body)) >= 3)
    return SentenceCheck(sentence, sources, True, factual, translated=tuple(translated))


def ground_answer(text: str, sources: Sequence[str], lang: Lang) -> Grounding:
    """Check each sentence of an answer against the sources it cites.

    Args:
        text: The answer; [n] cites `sources[n - 1]`, other numbers are ignored.
        sources: The text of each source (passage, with its title and date).
        lang: The answer's language.

    Returns:
        Each sentence with its verdict; `Grounding.text` keeps the supported ones.
    """
    return Grounder(sources, lang).ground(text)
