"""What a model is sent: the sentences that answer, with their neighbours, from the passages
that hold them.

On two cores a 1.5B model reads about 28 prompt tokens a second, so the prompt, not the answer,
is most of the wait (issue 14). The sentences sent are the ones the extractive answer would
quote (its ranking: shared rare words, the encoder's similarity, the kind of thing asked), the
best `sentences` of the first `count` passages, each with a neighbour on either side where the
passage's excerpt stays within 450 characters; a passage holding none of them is not sent.
Measured on 400 XQuAD questions (top 3 passages, answer string in the text sent): whole
passages 0.892 English / 0.980 Vietnamese at ~1,690 characters; the encoder's best 2 + 1 + 1
sentences 0.803 / 0.939 at ~1,060; these 3 sentences 0.813 / 0.959 at ~750. A question the
excerpts miss falls back to the extractive answer, which reads whole passages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.backends.extractive import ExtractiveBackend
from bot.language import Lang
from knowledge.records import Passage
from knowledge.sentences import chunk_sentences

GAP = " … "
NEIGHBOUR_CHARS = 450  # news sentences run to 300 characters: a neighbour is not free

_RANKER = ExtractiveBackend()


def excerpts(
    passages: Sequence[Passage],
    question: str,
    lang: Lang,
    count: int,
    sentences: int = 3,
) -> list[Passage]:
    """The passages among the first `count` that hold one of the question's `sentences` best
    sentences, the one holding the best first, each cut to those sentences and their
    neighbours."""
    pool = list(passages[:count])
    ranked = _RANKER.rank_sentences(question, pool, lang)
    picks: dict[int, set[str]] = {}  # in the order of each passage's best sentence
    for _, sentence in ranked[:sentences]:
        picks.setdefault(sentence.source - 1, set()).add(sentence.text)
    if not picks and pool:  # nothing long enough to rank: the first passage as it is
        return pool[:1]
    # The passage with the best sentence is [1]: a small model answers from its first source
    # ("bao nhiêu đoàn đại biểu?" answered from the conference's end date in [1] while the
    # number was in [2]).
    return [excerpt(pool[n], wanted) for n, wanted in picks.items()]


def excerpt(passage: Passage, wanted: set[str], max_chars: int = NEIGHBOUR_CHARS) -> Passage:
    """The passage cut to the `wanted` sentences, with a neighbour each side as far as
    `max_chars` allows."""
    sentences = chunk_sentences(passage.text)
    top = [i for i, s in enumerate(sentences) if s.strip("|").strip() in wanted]
    keep = set(top)
    size = sum(len(sentences[i]) for i in keep)
    for i in top:
        for j in (i - 1, i + 1):
            if 0 <= j < len(sentences) and j not in keep and size + len(sentences[j]) <= max_chars:
                keep.add(j)
                size += len(sentences[j])
    if not keep or len(keep) == len(sentences):
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


def sent_first(passages: Sequence[Passage], sent: Sequence[Passage]) -> list[Passage]:
    """The retrieved passages reordered so that the ones sent come first, in the order sent:
    the model's [n] then names the same passage in the answer's sources list."""
    ids = [p.chunk.chunk_id for p in sent]
    by_id = {p.chunk.chunk_id: p for p in passages}
    return [by_id[i] for i in ids if i in by_id] + [
        p for p in passages if p.chunk.chunk_id not in ids
    ]
