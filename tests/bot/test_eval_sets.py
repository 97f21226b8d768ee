"""Sets built from a benchmark folder: reproducible, and honest about what is left."""

from __future__ import annotations

import json
from pathlib import Path

from bot.eval_sets import leave_out, main, read_benchmark, remove_answers, unmarked_questions

ARTICLES = {
    "a": "Sông A\n\nSông A dài 300 km. Sông A chảy qua tỉnh B.\n\nNăm 1990 cầu C được xây.",
    "b": "Núi D\n\nNúi D cao 2000 m. Núi D có rừng thông.",
    "c": "Hồ E\n\nHồ E rộng 40 km2. Hồ E nằm gần núi D.",
}
ITEMS = [
    {"id": "1", "kind": "fact", "lang": "vi", "question": "Sông A dài bao nhiêu?",
     "facts": [["300 km"]], "docs": ["a"]},
    {"id": "2", "kind": "fact", "lang": "vi", "question": "Cầu C xây năm nào?",
     "facts": [["1990"]], "docs": ["a"]},
    {"id": "3", "kind": "fact", "lang": "vi", "question": "Núi D cao bao nhiêu?",
     "facts": [["2000 m"]], "docs": ["b"]},
    {"id": "4", "kind": "fact", "lang": "vi", "question": "Hồ E nằm gần đâu?",
     "facts": [["núi D"]], "docs": ["c"]},
]  # fmt: skip


def test_leave_out_turns_the_questions_of_left_articles_out_of_scope():
    articles, items = leave_out(ARTICLES, ITEMS, 1, seed=0)
    (left,) = set(ARTICLES) - set(articles)
    kinds = {i["id"]: i["kind"] for i in items}
    for item in ITEMS:
        if item["docs"] == [left]:
            # Out of scope only when no answer string remains anywhere ("núi D" would).
            text = " ".join(articles.values()).lower()
            assert kinds.get(item["id"]) == (
                None if item["facts"][0][0] in text else "out_of_scope"
            )
        else:
            assert kinds[item["id"]] == "fact"
    assert leave_out(ARTICLES, ITEMS, 1, seed=0) == (articles, items)  # same seed, same set


def test_remove_answers_keeps_the_article_but_not_the_answer():
    articles, items = remove_answers(ARTICLES, ITEMS[:2], 1, seed=3)
    (gone,) = [i for i in items if i["kind"] == "out_of_scope"]
    original = next(i for i in ITEMS if i["id"] == gone["id"])
    assert set(articles) == set(ARTICLES)  # the entity is still known
    assert original["facts"][0][0].lower() not in articles["a"].lower()
    assert "Sông A" in articles["a"]
    assert [i["kind"] for i in items if i["id"] != gone["id"]] == ["fact"]


def test_command_line_writes_a_benchmark_folder(tmp_path: Path):
    source = tmp_path / "bench"
    (source / "knowledge").mkdir(parents=True)
    for stem, text in ARTICLES.items():
        (source / "knowledge" / f"{stem}.txt").write_text(text, encoding="utf-8")
    lines = "\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS)
    (source / "questions.jsonl").write_text(lines, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["leave-out", str(source), str(out), "--articles", "1"]) == 0
    articles, items = read_benchmark(out)
    assert len(articles) == 2
    assert {i["kind"] for i in items} <= {"fact", "out_of_scope"} and len(items) <= len(ITEMS)


def test_unmarked_questions_are_the_vietnamese_ones_typed_without_marks():
    english = {"id": "5:en", "kind": "fact", "lang": "en", "question": "How long is river A?"}
    followup = {"id": "6", "kind": "followup", "turns": ["Đồi D ở đâu?", "Cao bao nhiêu?"]}
    items = unmarked_questions([*ITEMS, english, followup])
    assert [i["id"] for i in items] == [
        "1:nomarks",
        "2:nomarks",
        "3:nomarks",
        "4:nomarks",
        "6:nomarks",
    ]
    assert items[0]["question"] == "Song A dai bao nhieu?"
    assert items[1]["question"] == "Cau C xay nam nao?"
    assert items[4]["turns"] == ["Doi D o dau?", "Cao bao nhieu?"]
    assert all(i["lang"] == "vi-nodiacritics" for i in items)
    assert items[0]["facts"] == ITEMS[0]["facts"]  # the answers stay as the corpus spells them
