"""Checking the [n] citations of a model's answer against the sources it was actually given.

Model output is untrusted: it may cite sources that do not exist ("[7]" of five), cite none, or
write citations in several styles ("[1, 2]", "[1][2]", "[1-3]"). Every number is checked, the
ones that are not sources are removed, and the cited sources are renumbered 1..m in order of
first use so that the answer's numbers match the sources list shown under it. Passages of one
article share one number: the sources list names each article once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# "[1]", "[1, 2]", "[1;2]", "[1-3]", "[1–3]"; at most three digits so that "[2024]" is not a
# citation. The leading whitespace is captured so that a removed citation leaves no gap.
_CITATION = re.compile(r"(\s*)\[(\s*\d{1,3}(?:\s*(?:[,;]|[-–])\s*\d{1,3})*\s*)\]")
_ITEM = re.compile(r"(\d{1,3})(?:\s*[-–]\s*(\d{1,3}))?")
_TRAILING_CITATION = re.compile(_CITATION.pattern + r"[\s.!?…]*$")
_MAX_RANGE = 10  # "[1-300]" is not a real citation range; do not expand it


@dataclass(frozen=True)
class CheckedAnswer:
    """A model answer after its citations were checked.

    Attributes:
        text: The answer with valid citations renumbered and invalid ones removed.
        order: Source numbers as given to the model (1-based), in order of first citation;
            the answer's new number i+1 stands for source `order[i]`.
        removed: Numbers the model cited that were not sources.
        groups: For each new number, every source it stands for (more than one where several
            passages of one article were cited); `groups[i][0] == order[i]`.
    """

    text: str
    order: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)

    @property
    def uncited(self) -> bool:
        """Whether no valid citation is left."""
        return not self.order


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for start, end in _ITEM.findall(group):
        first = int(start)
        last = int(end) if end else first
        if end and 0 <= last - first <= _MAX_RANGE:
            numbers.extend(range(first, last + 1))
        else:
            numbers.extend(dict.fromkeys((first, last)))
    return numbers


def check_citations(
    text: str, n_sources: int, articles: Sequence[str] | None = None
) -> CheckedAnswer:
    """Validate and renumber the citations of an answer.

    Args:
        text: The answer as the model wrote it.
        n_sources: How many sources (numbered 1..n_sources) the model was given.
        articles: Each source's article id; sources of one article get one number.

    Returns:
        The cleaned text, the cited sources in order of first use, and the removed numbers.
    """
    by_article: dict[str, int] = {}  # article → its new number
    groups: list[list[int]] = []
    removed: list[int] = []

    def new_number(source: int) -> int:
        article = articles[source - 1] if articles is not None else str(source)
        if article not in by_article:
            by_article[article] = len(groups) + 1
            groups.append([])
        new = by_article[article]
        if source not in groups[new - 1]:
            groups[new - 1].append(source)
        return new

    def replace(match: re.Match[str]) -> str:
        kept: list[int] = []
        for number in _numbers(match.group(2)):
            if not 1 <= number <= n_sources:
                removed.append(number)
                continue
            new = new_number(number)
            if new not in kept:
                kept.append(new)
        if not kept:
            return ""
        return match.group(1) + "".join(f"[{n}]" for n in kept)

    cleaned = _CITATION.sub(replace, text)
    order = [group[0] for group in groups]
    return CheckedAnswer(cleaned.strip(), order=order, removed=removed, groups=groups)


def drop_invalid_citations(text: str, n_sources: int) -> tuple[str, list[int]]:
    """The text with citations of numbers that are not sources removed, the others kept as
    written (no renumbering), and the removed numbers."""
    removed: list[int] = []

    def replace(match: re.Match[str]) -> str:
        kept = []
        for number in _numbers(match.group(2)):
            if 1 <= number <= n_sources:
                kept.append(number)
            else:
                removed.append(number)
        return match.group(1) + "".join(f"[{n}]" for n in dict.fromkeys(kept)) if kept else ""

    return _CITATION.sub(replace, text), removed


def cited_numbers(text: str) -> list[int]:
    """The source numbers a text cites, in order of first citation (valid or not).

    Args:
        text: A sentence or an answer.

    Returns:
        Each cited number once, ranges expanded as `check_citations` does.
    """
    numbers = (n for match in _CITATION.finditer(text) for n in _numbers(match.group(2)))
    return list(dict.fromkeys(numbers))


def strip_citations(text: str) -> str:
    """The text without its [n] citations (for checking what a sentence says)."""
    return _CITATION.sub("", text).strip()


def strip_citations_keep_space(text: str) -> str:
    """The sentence without its citations, its trailing whitespace kept (to cite it again)."""
    body = text.rstrip()
    return _CITATION.sub("", body).rstrip() + text[len(body) :]


def ends_with_citation(text: str) -> bool:
    """Whether a text ends with a citation, as "… năm 1947 [1]" does (a finished sentence)."""
    return _TRAILING_CITATION.search(text) is not None
