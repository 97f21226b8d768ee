"""Model-free rewriting of follow-up questions into standalone ones.

"Hiện tổ chức này có bao nhiêu thành viên chính thức?" retrieves nothing useful on its own
(anything-llm #4071). When a question refers back (a pronoun or "this organisation") or is very
short, the salient names of the previous questions — acronyms and capitalised names — take the
place of the reference, or are put in front, so that retrieval lands on the same topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers import Turn
from knowledge.text import STOPWORDS, fold

# References back to an earlier topic. Multi-syllable ones are also matched without tone marks;
# "họ" and "nó" only with their marks, since "ho"/"no" are also "hỗ", "nợ" when folded.
_VI_REFERENCES = (
    "tổ chức này",
    "tổ chức đó",
    "tổ chức trên",
    "cơ quan này",
    "cơ quan đó",
    "văn phòng này",
    "ủy ban này",
    "uỷ ban này",
    "hội nghị này",
    "hội nghị đó",
    "sự kiện này",
    "sự kiện đó",
    "diễn đàn này",
    "diễn đàn đó",
    "sáng kiến này",
    "hiệp định này",
    "chương trình này",
    "nhóm này",
    "ông ấy",
    "bà ấy",
    "ông ta",
    "bà ta",
    "anh ấy",
    "chị ấy",
    "người này",
    "người đó",
    "vị này",
    "nước này",
    "nước đó",
)
_VI_MARKED_REFERENCES = ("họ", "nó")
_EN_REFERENCES = (
    "this organisation",
    "this organization",
    "that organisation",
    "that organization",
    "the organisation",
    "the organization",
    "this conference",
    "that conference",
    "this event",
    "this forum",
    "this office",
    "this initiative",
    "this agency",
    "she",
    "he",
    "her",
    "him",
    "his",
    "it",
    "its",
    "they",
    "them",
    "their",
)
_SHORT = 4  # a question of at most this many words is taken as a follow-up

_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,9}\b")
_QUESTION_OPENERS = frozenset(
    fold(w) for w in "ai khi bao nào gì tại vì sao what which who when where why how".split()
)


def _reference_pattern() -> re.Pattern[str]:
    phrases = [*_VI_REFERENCES, *(fold(p) for p in _VI_REFERENCES), *_VI_MARKED_REFERENCES]
    phrases += _EN_REFERENCES
    alternatives = "|".join(sorted({re.escape(p) for p in phrases}, key=len, reverse=True))
    return re.compile(rf"(?<![\wÀ-ỹ])(?:{alternatives})(?![\wÀ-ỹ])", re.IGNORECASE)


_REFERENCE = _reference_pattern()


def salient_terms(text: str) -> list[str]:
    """The acronyms and names of a text, in order, without repeats.

    Vietnamese capitalises only the first syllable of many names ("Giám đốc Văn phòng Liên hợp
    quốc"), so a name runs from a capitalised word through at most two lowercase syllables at a
    time, up to a function word. A question's first word is capitalised by grammar, so a
    question word there ("Ai", "When") starts nothing.
    """
    found: dict[str, None] = {}
    for acronym in _ACRONYM.findall(text):
        found.setdefault(acronym, None)
    tokens = re.findall(r"\w+(?:-\w+)*", text)
    run: list[str] = []
    start = capitals = lowercase = 0
    for index, token in enumerate([*tokens, ""]):
        acronym = bool(_ACRONYM.fullmatch(token))
        if token and token[0].isupper() and not acronym:
            if not run:
                start, capitals = index, 0
            run.append(token)
            capitals += 1
            lowercase = 0
            continue
        if run and token and not acronym and fold(token) not in STOPWORDS and lowercase < 2:
            run.append(token)
            lowercase += 1
            continue
        # A run at the very start needs a second capital: "Còn thành viên?" names nothing.
        if run and (start > 0 or capitals > 1) and fold(run[0]) not in _QUESTION_OPENERS:
            found.setdefault(" ".join(run), None)
        run = []
    return list(found)


def needs_context(question: str) -> bool:
    """Whether a question refers back to the conversation.

    It does when it holds a reference ("bà ấy", "this organisation"), or when it is very short
    and names nothing itself ("Còn thành viên?" but not "Còn UNIDO?").
    """
    if _REFERENCE.search(question):
        return True
    return len(question.split()) <= _SHORT and not salient_terms(question)


def contextualize(question: str, history: Sequence[Turn], turns: int = 2) -> str:
    """Make a follow-up standalone without a model.

    Args:
        question: The user's question.
        history: Earlier turns, oldest first.
        turns: How many of the latest turns lend their names.

    Returns:
        The question with its reference replaced by (or, when it has none, prefixed with) the
        names of the previous questions; the question unchanged when it stands alone.
    """
    if not history or not needs_context(question):
        return question
    terms: dict[str, None] = {}
    for turn in reversed(history[-turns:]):
        for term in salient_terms(turn.standalone_question or turn.question):
            if fold(term) not in fold(question):
                terms.setdefault(term, None)
        if terms:
            break  # the latest turn that names something is the topic
    if not terms:
        return question
    names = " ".join(terms)
    replaced, count = _REFERENCE.subn(names, question, count=1)
    return replaced if count else f"{names}: {question}"
