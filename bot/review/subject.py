"""A sentence that follows its question's words but puts another name where the question's
stands answers about something else: "Tối đa có 40.000 người đã chết vì bệnh dịch hạch ở Paris
[1]" for "Tối đa có bao nhiêu người đã chết vì bệnh dịch hạch ở Baghdad?" (Qwen on XQuAD). Every
word and number is in its source, about Paris, so the exact and meaning checks pass it.

Such a sentence is removed. It must echo most of the question's other words, and the new name
must stand in the dropped one's place: after the word that comes before it in the question ("ở
Baghdad" → "ở Paris"). The name a who-question asks for takes the asking word's place, not a
name's, so "Bùi Thanh Sơn dẫn đầu đoàn tại Buenos Aires" still answers "Ai dẫn đầu đoàn tại
Buenos Aires?".
"""

from __future__ import annotations

from bot.citations import strip_citations
from bot.grounding import content_words
from bot.review.draft import Draft, ReviewContext
from knowledge.retrieval import QUESTION_WORDS, question_names
from knowledge.text import words

# The least share of the question's other content words the sentence repeats.
FRAME_SHARE = 0.75


class SubjectCheck:
    name = "subject"
    sentence_level = True

    def __call__(self, draft: Draft, context: ReviewContext) -> Draft:
        question = words(context.question)
        names = [words(name) for name in question_names(context.question)]
        if not names:
            return draft
        in_names = {w for name in names for w in name}
        asked = set(content_words(context.question)) - in_names - QUESTION_WORDS
        if not asked:  # a question of names alone ("Who is Bùi Thanh Sơn?") has no frame to echo
            return draft
        for sentence in draft.kept:
            text = strip_citations(sentence.text)
            said = words(text)
            if len(asked & set(said)) < FRAME_SHARE * len(asked):
                continue
            for name in names:
                before = _word_before(question, name)
                if before is None or _place(said, name) >= 0:
                    continue
                other = next(
                    (
                        new
                        for new in map(words, question_names(text))
                        if _place(question, new) < 0 and _word_before(said, new) == before
                    ),
                    None,
                )
                if other:
                    sentence.removed = f"about {' '.join(other)!r}, not {' '.join(name)!r}"
                    break
        return draft


def _place(text: list[str], run: list[str]) -> int:
    """Where `run` first stands in `text`, as words in a row (-1: nowhere)."""
    return next((i for i in range(len(text) - len(run) + 1) if text[i : i + len(run)] == run), -1)


def _word_before(text: list[str], run: list[str]) -> str | None:
    """The word just before `run` where it first stands in `text` (None: nowhere, or first)."""
    place = _place(text, run)
    return text[place - 1] if place > 0 else None
