"""The encoder's language gap, closed for English questions over Vietnamese text.

A multilingual encoder puts a question near its translation, not on it: English questions sit,
on average, one fixed step away from their Vietnamese translations, whatever they ask (the
language-specific component of multilingual embeddings; Libovický, Rosa and Fraser, "On the
Language Neutrality of Pre-trained Multilingual Representations", 2020, remove it by centering
each language). Retrieval takes that step back from an English question's vector before it
ranks passages and sentences: the question then meets the Vietnamese corpus as its translation
would. Measured on XQuAD's half with the offset fitted on 10 articles' question pairs and
scored on the other 10's (README "Quality"): the sentence that holds the answer ranks among the
corpus's top 3 for 0.767 → 0.794 of English questions (five splits), and the extractive answer
holds it for 0.781 → 0.800 with every question answered.

The answer-or-decline decision keeps reading the raw vector: shifted, out-of-scope English
questions come as close to the corpus as answerable ones (AUC 0.923 → 0.908); raw, it is
unchanged (0.924).

An offset belongs to one encoder: it is stored per model in `offsets/<model>.json`, fitted by
`diplobot offset QUESTIONS.jsonl` from questions asked in both languages (ids `X:en` and
`X:vi`), and a model without one is used as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder

OFFSETS_DIR = Path(__file__).with_name("offsets")
_SAFE = re.compile(r"[^\w.-]+")


def offset_path(model: str, directory: Path = OFFSETS_DIR) -> Path:
    """Where the offset of an encoder lives (a hub name's "/" becomes "__")."""
    return directory / f"{_SAFE.sub('__', model)}.json"


@cache
def english_offset(model: str) -> np.ndarray | None:
    """The mean English-minus-Vietnamese question vector of `model`; None if never fitted."""
    path = offset_path(model)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return np.asarray(data["offset"], dtype=np.float32)


def towards_vietnamese(vector: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
    """An English question's vector with the language step taken back, unit length again."""
    if offset is None:
        return vector
    moved = np.asarray(vector, np.float32) - offset
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm else np.asarray(vector, np.float32)


def question_pairs(path: Path) -> list[tuple[str, str]]:
    """(English, Vietnamese) questions sharing an id base (`X:en`, `X:vi`) in a JSONL file."""
    by_base: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            base, _, lang = str(item.get("id", "")).rpartition(":")
            if base and lang in ("en", "vi") and item.get("question"):
                by_base.setdefault(base, {})[lang] = str(item["question"])
    return [(p["en"], p["vi"]) for p in by_base.values() if "en" in p and "vi" in p]


def fit_offset(embedder: Embedder, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """The mean difference of the pairs' question vectors (English minus Vietnamese)."""
    if not pairs:
        raise ValueError("no question asked in both languages (ids X:en and X:vi)")
    english = embedder.embed_statements([en for en, _ in pairs])
    vietnamese = embedder.embed_statements([vi for _, vi in pairs])
    return np.asarray(english.mean(axis=0) - vietnamese.mean(axis=0), np.float32)


def write_offset(path: Path, model: str, offset: np.ndarray, pairs: int, source: str) -> None:
    """Store an offset where `english_offset` finds it (JSON: readable, diffable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "model": model,
        "pairs": pairs,
        "source": source,
        "norm": round(float(np.linalg.norm(offset)), 4),
        "offset": [round(float(x), 6) for x in offset],
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    english_offset.cache_clear()
