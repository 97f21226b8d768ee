"""What a model is sent: the sentences of each passage that answer, with their neighbours.

On two cores a 1.5B model reads about 44 prompt tokens a second, so the prompt, not the answer,
is most of the wait (issue 14: 30–45 s for ~1,100 prompt tokens). Retrieval has already scored
every sentence of a passage against the question; the best few, each with the sentence before
and after it for context, hold the answer as often as the whole passage does, in a third of
the tokens. Excerpts keep their passage's number, so [n] means the same source either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from knowledge.records import Passage
from knowledge.sentences import chunk_sentences
from knowledge.text import content_words

GAP = " … "


def excerpt(passage: Passage, question: str, best: int = 2, neighbours: int = 1) -> Passage:
    """The passage cut to its `best` sentences for the question and their neighbours."""
    sentences = chunk_sentences(passage.text)
    if len(sentences) <= best * (1 + 2 * neighbours):
        return passage
    scores = list(passage.sentence_scores)
    if len(scores) != len(sentences):  # an index without sentence vectors: shared words
        wanted = set(content_words(question))
        scores = [float(len(wanted & set(content_words(s)))) for s in sentences]
    top = sorted(range(len(sentences)), key=lambda i: -scores[i])[:best]
    keep = sorted(
        {
            j
            for i in top
            for j in range(i - neighbours, i + neighbours + 1)
            if 0 <= j < len(sentences)
        }
    )
    parts: list[str] = []
    for previous, i in zip([None, *keep], keep, strict=False):
        if previous is not None:
            parts.append(" " if i == previous + 1 else GAP)
        parts.append(sentences[i].strip())
    text = "".join(parts)
    return dataclasses.replace(passage, chunk=dataclasses.replace(passage.chunk, text=text))


def excerpts(
    passages: Sequence[Passage], question: str, count: int, best: int = 2
) -> list[Passage]:
    """The first `count` passages, each cut to what answers the question."""
    return [excerpt(p, question, best) for p in passages[:count]]
