"""What a model is sent: the sentences of each passage that answer, with their neighbours.

On two cores a 1.5B model reads about 28–44 prompt tokens a second, so the prompt, not the
answer, is most of the wait (issue 14: 30–45 s for ~1,100 prompt tokens). Retrieval has already
scored every sentence of a passage against the question; the model gets the best two of the
first passage and the best one of the next two, with neighbours where they fit in 450
characters. Measured on 300 XQuAD questions (top 3 passages, answer string in the text sent):
whole passages 0.918 English / 0.974 Vietnamese, excerpts 0.823 / 0.935, at about a third of
the characters; a question the excerpts miss falls back to the extractive answer, which reads
whole passages. Excerpts keep their passage's number, so [n] means the same source either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from knowledge.records import Passage
from knowledge.sentences import chunk_sentences
from knowledge.text import content_words

GAP = " … "


def excerpt(
    passage: Passage, question: str, best: int = 2, neighbours: int = 1, max_chars: int = 450
) -> Passage:
    """The passage cut to its `best` sentences for the question, with their neighbours as far
    as `max_chars` allows (news sentences run to 300 characters: a neighbour is not free)."""
    sentences = chunk_sentences(passage.text)
    scores = list(passage.sentence_scores)
    if len(scores) != len(sentences):  # an index without sentence vectors: shared words
        wanted = set(content_words(question))
        scores = [float(len(wanted & set(content_words(s)))) for s in sentences]
    top = sorted(range(len(sentences)), key=lambda i: -scores[i])[:best]
    keep = set(top)
    size = sum(len(sentences[i]) for i in keep)
    for distance in range(1, neighbours + 1):
        for i in top:
            for j in (i - distance, i + distance):
                if 0 <= j < len(sentences) and j not in keep:
                    if size + len(sentences[j]) > max_chars:
                        continue
                    keep.add(j)
                    size += len(sentences[j])
    if len(keep) == len(sentences):
        return passage
    parts: list[str] = []
    previous = None
    for i in sorted(keep):
        if previous is not None:
            parts.append(" " if i == previous + 1 else GAP)
        parts.append(sentences[i].strip())
        previous = i
    text = "".join(parts)
    return dataclasses.replace(passage, chunk=dataclasses.replace(passage.chunk, text=text))


def excerpts(
    passages: Sequence[Passage], question: str, count: int, best: int = 2
) -> list[Passage]:
    """The first `count` passages, each cut to what answers the question: `best` sentences of
    the first (the likeliest to hold the answer), one of each of the others."""
    return [excerpt(p, question, best if n == 0 else 1) for n, p in enumerate(passages[:count])]
