"""A deterministic synthetic news corpus recombined from the seed articles' sentences.

The same seed and size always give the same files, so that figures are comparable between
runs and machines. Articles are short (a title and a paragraph of two sentences, one
700-character chunk each), so that N articles give about N chunks.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from knowledge.articles import article_files, load_article
from knowledge.chunking import split_sentences

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
MIN_BODY_CHARS = 300
OUTLETS = ("Báo Quốc tế", "VnExpress", "Nhân Dân", "Tuổi Trẻ", "Thanh Niên")


def seed_sentences(seeds: Path = SEEDS) -> list[str]:
    """Distinct clean body sentences of the seed articles (boilerplate already cut)."""
    found: dict[str, None] = {}
    for path in article_files(seeds):
        for paragraph in load_article(path).text.split("\n\n"):
            for sentence in split_sentences(paragraph):
                if 40 <= len(sentence) <= 400:
                    found.setdefault(sentence.strip(), None)
    return list(found)


@dataclass(frozen=True)
class SyntheticCorpus:
    """Articles of `sentences_per_article` sentences drawn with a seeded RNG."""

    sentences: list[str]
    seed: int = 2026
    sentences_per_article: int = 2

    def article(self, index: int) -> tuple[str, list[str]]:
        """Title and sentences of article `index` (independent of how many are generated)."""
        rng = random.Random(f"{self.seed}:{index}")
        body = rng.sample(self.sentences, self.sentences_per_article + 3)
        # Enough text to pass the article filter: add sentences while the body is short.
        count = self.sentences_per_article
        while count < len(body) and sum(len(s) for s in body[:count]) < MIN_BODY_CHARS:
            count += 1
        body = body[:count]
        title = f"{body[0][:60].rstrip(' ,.')} ({index})"
        return title, body

    def text(self, index: int) -> str:
        title, body = self.article(index)
        return f"{title}\n\n{' '.join(body)}\n"


def write_articles(corpus: SyntheticCorpus, folder: Path, count: int, start: int = 0) -> None:
    """Write articles `start`..`start+count-1` as `.txt` files with metadata sidecars."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        title, _ = corpus.article(index)
        stem = f"syn_{index:06d}"
        (folder / f"{stem}.txt").write_text(corpus.text(index), encoding="utf-8")
        meta = {
            "title": title,
            "outlet": OUTLETS[index % len(OUTLETS)],
            "date": f"20{10 + index % 15:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}",
        }
        (folder / f"{stem}.meta.json").write_text(
            json.dumps(meta, ensure_ascii=False), encoding="utf-8"
        )
