"""Build evaluation sets from a benchmark folder, reproducibly.

A benchmark folder (`../shared/eval/viquad`, `../shared/eval/xquad`) holds `knowledge/` (one
article per file) and `questions.jsonl`. Two ways to make questions the knowledge does not answer:

- `leave-out`: some articles are left out of the knowledge; their questions become
  `out_of_scope` (a topic the corpus never covers).
- `remove-answers`: the sentences that hold the answers of some questions are deleted from their
  articles; those questions become `out_of_scope` while their article stays: the corpus knows the
  entity but not the asked attribute ("Bộ trưởng Bùi Thanh Sơn sinh năm nào?").

A third keeps the knowledge and changes how the questions are typed:

- `strip-marks`: the Vietnamese questions with every tone and vowel mark stripped (đ → d), as
  people type on phones and foreign keyboards (`lang` "vi-nodiacritics").

Either way a question stays answerable only if its article is still there and holds an answer
string, and becomes out of scope only if no answer string of it occurs anywhere in the
knowledge that remains. Choices are drawn with a seed, so the same command builds the same set:

    python -m bot.eval_sets leave-out ../shared/eval/viquad data/viquad-oos --articles 4
    python -m bot.eval_sets remove-answers ../shared/eval/viquad data/viquad-na --questions 300
    python -m bot.eval_sets strip-marks ../shared/eval/xquad data/xquad-nomarks
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.chunking import split_sentences
from knowledge.text import strip_marks

Item = dict[str, Any]


def read_benchmark(folder: Path) -> tuple[dict[str, str], list[Item]]:
    """Articles by file stem and the question items of a benchmark folder."""
    articles = {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((folder / "knowledge").iterdir())
        if path.is_file() and not path.name.endswith(".meta.json")
    }
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return articles, [json.loads(line) for line in lines if line.strip()]


def _alternatives(item: Item) -> list[str]:
    return [alt.lower() for group in item.get("facts", []) for alt in group]


def _answered_by(item: Item, articles: dict[str, str]) -> bool:
    docs = item.get("docs", [])
    return bool(docs) and all(
        doc in articles
        and all(any(a.lower() in articles[doc].lower() for a in g) for g in item["facts"])
        for doc in docs
    )


def _nowhere(item: Item, corpus: str) -> bool:
    return not any(alt in corpus for alt in _alternatives(item))


def _relabel(items: Sequence[Item], articles: dict[str, str], outside: set[str]) -> list[Item]:
    """Answerable items that still are, and the `outside` ones no answer string reaches."""
    corpus = "\n".join(articles.values()).lower()
    kept: list[Item] = []
    for item in items:
        if item.get("kind") not in ("fact", "followup"):
            kept.append(item)
        elif item["id"] in outside:
            if _nowhere(item, corpus):
                kept.append({**item, "kind": "out_of_scope", "facts": [], "docs": []})
        elif _answered_by(item, articles):
            kept.append(item)
    return kept


def leave_out(
    articles: dict[str, str], items: Sequence[Item], count: int, seed: int
) -> tuple[dict[str, str], list[Item]]:
    """Leave `count` articles (drawn with `seed`) out; their questions become out of scope."""
    left = set(random.Random(seed).sample(sorted(articles), min(count, len(articles))))
    outside = {i["id"] for i in items if set(i.get("docs", [])) & left}
    remaining = {stem: text for stem, text in articles.items() if stem not in left}
    return remaining, _relabel(items, remaining, outside)


def remove_answers(
    articles: dict[str, str], items: Sequence[Item], count: int, seed: int
) -> tuple[dict[str, str], list[Item]]:
    """Delete the answer sentences of `count` questions; those become out of scope.

    Questions asked in several languages (XQuAD's ids `<id>:en`, `<id>:vi`) are drawn together.
    """
    answerable = [i for i in items if i.get("kind") == "fact" and i.get("docs")]
    groups = sorted({i["id"].split(":")[0] for i in answerable})
    drawn = set(random.Random(seed).sample(groups, min(count, len(groups))))
    chosen = [i for i in answerable if i["id"].split(":")[0] in drawn]
    changed = dict(articles)
    for item in chosen:
        alternatives = _alternatives(item)
        for doc in item["docs"]:
            if doc in changed:
                changed[doc] = _without_sentences(changed[doc], alternatives)
    return changed, _relabel(items, changed, {i["id"] for i in chosen})


def unmarked_questions(items: Sequence[Item]) -> list[Item]:
    """The Vietnamese questions (every turn) typed without marks; other languages left out."""
    stripped = []
    for item in items:
        if not str(item.get("lang", "vi")).startswith("vi"):
            continue
        changed = {**item, "id": f"{item['id']}:nomarks", "lang": "vi-nodiacritics"}
        for key in ("question", "turns"):
            if isinstance(item.get(key), str):
                changed[key] = strip_marks(item[key])
            elif isinstance(item.get(key), list):
                changed[key] = [strip_marks(turn) for turn in item[key]]
        stripped.append(changed)
    return stripped


def _without_sentences(text: str, alternatives: Sequence[str]) -> str:
    """The text without the sentences that contain any of the (lower-case) strings."""
    paragraphs = []
    for paragraph in text.split("\n"):
        sentences = split_sentences(paragraph) if paragraph.strip() else []
        kept = [s for s in sentences if not any(alt in s.lower() for alt in alternatives)]
        if kept or not paragraph.strip():
            paragraphs.append(" ".join(kept))
    return "\n".join(paragraphs)


def write_benchmark(folder: Path, articles: dict[str, str], items: Sequence[Item]) -> None:
    """Write `knowledge/` and `questions.jsonl` (the folder is replaced)."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "knowledge").mkdir(parents=True)
    for stem, text in articles.items():
        (folder / "knowledge" / f"{stem}.txt").write_text(text, encoding="utf-8")
    with (folder / "questions.jsonl").open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `leave-out` or `remove-answers` SOURCE OUT."""
    parser = argparse.ArgumentParser(prog="python -m bot.eval_sets", description=__doc__)
    parser.add_argument("how", choices=("leave-out", "remove-answers", "strip-marks"))
    parser.add_argument("source", type=Path, help="benchmark folder (knowledge/, questions.jsonl)")
    parser.add_argument("out", type=Path, help="folder to write (replaced)")
    parser.add_argument("--articles", type=int, default=4, help="articles left out (leave-out)")
    parser.add_argument(
        "--questions", type=int, default=300, help="questions whose answers go (remove-answers)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    articles, items = read_benchmark(args.source)
    if args.how == "leave-out":
        articles, items = leave_out(articles, items, args.articles, args.seed)
    elif args.how == "strip-marks":
        items = unmarked_questions(items)
    else:
        articles, items = remove_answers(articles, items, args.questions, args.seed)
    write_benchmark(args.out, articles, items)
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    print(f"{args.out}: {len(articles)} articles, {len(items)} items {kinds}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
