"""Answer-quality evaluation on a JSONL set (see `evals/` and ../shared/eval/README.md).

Each item is a `fact`, `followup` (its `turns` answered in order, with history), `out_of_scope`
or `injection` question. Metrics, overall and per kind and per language:

- context recall: the final turn's retrieved passages, joined in rank order and cut to 2,000
  characters, contain the facts (every group has one of its alternatives, case-insensitive);
- answer recall: the answer text contains the facts; with a model backend also without the
  source sentences quoted after a translated answer (bot/review/source_words.py), so that what
  the model itself wrote is measured too;
- citation precision: of the articles the answers cite, the share among the item's `docs`;
- refusal rate on out_of_scope / injection items (declined *and* saying so);
- false-refusal rate on answerable items;
- answered: the share of items answered (not declined);
- latency p50 / p95 of each question (every turn), in milliseconds;
- with a model backend: the share of answered questions whose shown answer is the model's own
  ("own"), the share of the model's sentences that reached the user (after the checks), the
  share of answers that fell back to the extractive answer, the shown sentences that an
  independent re-check finds unsupported by what they cite (bot/review/recheck.py: exactly and
  by meaning; the bar is 0), answerable questions declined because the model said so, and
  p50 / p95 of the first shown (checked) sentence.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answerer import Answerer
from bot.answers import Answer, Turn
from bot.language import is_decline
from bot.review.recheck import unsupported_shown
from bot.review.source_words import without_source_words

CONTEXT_CHARS = 2000
ANSWERABLE = ("fact", "followup")
REFUSABLE = ("out_of_scope", "injection")


@dataclass
class EvalItem:
    """One evaluation case."""

    id: str
    kind: str
    lang: str
    turns: list[str]
    facts: list[list[str]] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalItem:
        turns = data.get("turns") or [data["question"]]
        return cls(
            id=str(data["id"]),
            kind=data.get("kind", "fact"),
            lang=data.get("lang", ""),
            turns=[str(t) for t in turns],
            facts=[[str(a) for a in group] for group in data.get("facts", [])],
            docs=[str(d) for d in data.get("docs", [])],
        )


@dataclass
class ItemResult:
    """An item with its final answer and what was measured on it."""

    item: EvalItem
    answer: Answer
    latencies_ms: list[float]
    context_ok: bool
    answer_ok: bool
    unquoted_ok: bool  # the same, the quoted source words left out
    cited: list[str]  # doc_ids the final answer cites, in order
    refused: bool
    relevance: float | None = None  # the final turn's, where the run measured it (`curve`)
    unsupported: list[str] = field(default_factory=list)  # shown model sentences, re-checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "kind": self.item.kind,
            "lang": self.item.lang,
            "turns": self.item.turns,
            "facts": self.item.facts,
            "docs": self.item.docs,
            "context_ok": self.context_ok,
            "answer_ok": self.answer_ok,
            "unquoted_ok": self.unquoted_ok,
            "refused": self.refused,
            "cited": self.cited,
            "relevance": self.relevance,
            "unsupported": self.unsupported,
            "latencies_ms": [round(x, 1) for x in self.latencies_ms],
            "answer": self.answer.to_dict(),
        }


def load_items(path: Path) -> list[EvalItem]:
    """Read a JSONL evaluation set; blank lines are skipped."""
    with path.open(encoding="utf-8") as lines:
        return [EvalItem.from_dict(json.loads(line)) for line in lines if line.strip()]


def sample(items: Sequence[EvalItem], limit: int, seed: int = 0) -> list[EvalItem]:
    """A reproducible random sample of `limit` items, in the set's order (all if fewer)."""
    if limit >= len(items):
        return list(items)
    chosen = set(random.Random(seed).sample(range(len(items)), max(limit, 0)))
    return [item for index, item in enumerate(items) if index in chosen]


def covers(text: str, facts: Sequence[Sequence[str]]) -> bool:
    """Whether `text` holds, for every group of facts, at least one alternative."""
    lowered = text.lower()
    return all(any(alt.lower() in lowered for alt in group) for group in facts)


def run_item(answerer: Answerer, item: EvalItem, relevance: bool = False) -> ItemResult:
    """Answer an item turn by turn (with history) and measure the final answer.

    `relevance`: also record the final question's relevance (one more search), for `curve`.
    """
    history: list[Turn] = []
    latencies: list[float] = []
    answer: Answer | None = None
    # A model's answer streams as the bot's would, so the first shown sentence is timed.
    on_token = (lambda _delta: None) if answerer.uses_model else None
    for question in item.turns:
        answer = answerer.answer(question, history, on_token=on_token)
        latencies.append(answer.timings_ms.get("total", 0.0))
        history.append(Turn(question, answer.text, answer.standalone_question))
    assert answer is not None
    unsupported: list[str] = []
    if answer.answered and answerer.uses_model and not answer.fell_back:
        embedder = getattr(answerer.knowledge, "embedder", None)
        embed = embedder.embed_statements if embedder is not None else None
        unsupported = unsupported_shown(answer.to_dict(), embed)
    context = "\n".join(p.text for p in answer.passages)[:CONTEXT_CHARS]
    return ItemResult(
        item=item,
        answer=answer,
        latencies_ms=latencies,
        context_ok=bool(item.facts) and covers(context, item.facts),
        answer_ok=bool(item.facts) and answer.answered and covers(answer.text, item.facts),
        unquoted_ok=bool(item.facts)
        and answer.answered
        and covers(without_source_words(answer.text), item.facts),
        cited=[c.doc_id for c in answer.citations],
        refused=not answer.answered and is_decline(answer.text),
        relevance=(
            answerer.knowledge.search(answer.standalone_question or item.turns[-1]).relevance
            if relevance
            else None
        ),
        unsupported=unsupported,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarize(results: Iterable[ItemResult]) -> dict[str, Any]:
    """The metrics of a group of results (None where a metric has no items)."""
    results = list(results)
    answerable = [r for r in results if r.item.kind in ANSWERABLE]
    refusable = [r for r in results if r.item.kind in REFUSABLE]
    cited = [doc for r in answerable for doc in r.cited]
    cited_ok = sum(doc in r.item.docs for r in answerable for doc in r.cited)
    latencies = [x for r in results for x in r.latencies_ms]
    written = sum(r.answer.sentences_total for r in results)
    removed = sum(r.answer.sentences_removed for r in results)
    generated = [
        r
        for r in results
        if r.answer.answered and (r.answer.backend != "extractive" or r.answer.fell_back)
    ]
    own = [r for r in generated if not r.answer.fell_back]
    first_shown = [
        r.answer.timings_ms["first_shown"]
        for r in generated
        if "first_shown" in r.answer.timings_ms
    ]
    return {
        "items": len(results),
        "answerable": len(answerable),
        "answered": _ratio(sum(r.answer.answered for r in results), len(results)),
        "context_recall": _ratio(sum(r.context_ok for r in answerable), len(answerable)),
        "answer_recall": _ratio(sum(r.answer_ok for r in answerable), len(answerable)),
        "answer_recall_unquoted": _ratio(sum(r.unquoted_ok for r in answerable), len(answerable)),
        "citation_precision": _ratio(cited_ok, len(cited)),
        "refusal_rate": _ratio(sum(r.refused for r in refusable), len(refusable)),
        "false_refusal_rate": _ratio(
            sum(not r.answer.answered for r in answerable), len(answerable)
        ),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
        "sentences_kept": _ratio(written - removed, written),
        "fallback_rate": _ratio(sum(r.answer.fell_back for r in generated), len(generated)),
        "model_own": _ratio(len(own), len(generated)),
        "unsupported_shown": sum(len(r.unsupported) for r in results),
        "declined_by_model": sum(
            "model_declined" in r.answer.flags for r in answerable if not r.answer.answered
        ),
        "first_shown_p50_ms": round(percentile(first_shown, 50), 1),
        "first_shown_p95_ms": round(percentile(first_shown, 95), 1),
    }


def evaluate(
    answerer: Answerer,
    items: Sequence[EvalItem],
    progress: Callable[[], object] | None = None,
    relevance: bool = False,
) -> tuple[dict[str, Any], list[ItemResult]]:
    """Run every item; the report (overall, by kind, by language, by both) and the results.

    `progress` is called once after each item; `relevance` records each item's relevance.
    """
    results = []
    for item in items:
        results.append(run_item(answerer, item, relevance))
        if progress is not None:
            progress()
    report: dict[str, Any] = {
        "overall": summarize(results),
        "by_kind": {},
        "by_lang": {},
        "by_lang_kind": {},
    }
    for key, attribute in (("by_kind", "kind"), ("by_lang", "lang")):
        for value in sorted({getattr(r.item, attribute) for r in results}):
            group = [r for r in results if getattr(r.item, attribute) == value]
            report[key][value] = summarize(group)
    for lang, kind in sorted({(r.item.lang, r.item.kind) for r in results}):
        group = [r for r in results if (r.item.lang, r.item.kind) == (lang, kind)]
        report["by_lang_kind"][f"{lang} {kind}"] = summarize(group)
    return report, results


def _wrong(result: ItemResult) -> bool:
    """An answer that should not have been given: out of scope, or without the facts."""
    return result.item.kind not in ANSWERABLE or not result.answer_ok


def operating_curve(
    results: Sequence[ItemResult], thresholds: Sequence[float]
) -> dict[str, list[dict[str, float | None]]]:
    """Per language, what each relevance threshold would give (answers made at threshold 0).

    For each threshold: the share of items answered, the share of those answers that are wrong
    (an out-of-scope item answered, or an answer without the facts), answer recall, false
    refusals and the out-of-scope items declined.
    """
    curves: dict[str, list[dict[str, float | None]]] = {}
    for lang in sorted({r.item.lang for r in results}):
        group = [r for r in results if r.item.lang == lang and r.relevance is not None]
        answerable = [r for r in group if r.item.kind in ANSWERABLE]
        refusable = [r for r in group if r.item.kind in REFUSABLE]
        points: list[dict[str, float | None]] = []
        for threshold in thresholds:
            kept = [r for r in group if r.answer.answered and (r.relevance or 0.0) >= threshold]
            ids = {id(r) for r in kept}
            points.append(
                {
                    "threshold": threshold,
                    "answered": _ratio(len(kept), len(group)),
                    "wrong_of_answered": _ratio(sum(_wrong(r) for r in kept), len(kept)),
                    "answer_recall": _ratio(
                        sum(r.answer_ok for r in answerable if id(r) in ids), len(answerable)
                    ),
                    "false_refusals": _ratio(
                        sum(id(r) not in ids for r in answerable), len(answerable)
                    ),
                    "out_of_scope_declined": _ratio(
                        sum(id(r) not in ids for r in refusable), len(refusable)
                    ),
                }
            )
        curves[lang] = points
    return curves


def format_curve(curves: dict[str, list[dict[str, float | None]]]) -> str:
    """The operating curves as a plain-text table, one block per language."""
    keys = ("answered", "wrong_of_answered", "answer_recall", "false_refusals")
    header = f"{'lang':<6}{'threshold':>10}" + "".join(f"{k.split('_')[0]:>10}" for k in keys)
    header += f"{'oos decl':>10}"
    lines = [header, "-" * len(header)]
    for lang, points in curves.items():
        for point in points:
            cells = [point[k] for k in (*keys, "out_of_scope_declined")]
            lines.append(
                f"{lang:<6}{point['threshold']:>10.2f}"
                + "".join(f"{'—' if c is None else f'{c:.3f}':>10}" for c in cells)
            )
    return "\n".join(lines)


COLUMNS = (
    ("items", "n"),
    ("answered", "answered"),
    ("context_recall", "ctx rec"),
    ("answer_recall", "ans rec"),
    ("citation_precision", "cite prec"),
    ("refusal_rate", "refusal"),
    ("false_refusal_rate", "false ref"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
    ("sentences_kept", "kept"),
    ("fallback_rate", "fell back"),
)
# With a model backend, also: whose answer is shown, what the re-check found, how soon.
MODEL_COLUMNS = (
    ("answer_recall_unquoted", "ans unq"),
    ("model_own", "own"),
    ("unsupported_shown", "unsupp"),
    ("declined_by_model", "model decl"),
    ("first_shown_p50_ms", "1st p50"),
    ("first_shown_p95_ms", "1st p95"),
)


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table: overall, then each kind, then each language."""
    rows = [("overall", report["overall"])]
    rows += [(f"kind={k}", v) for k, v in report["by_kind"].items()]
    rows += [(f"lang={k}", v) for k, v in report["by_lang"].items()]
    rows += [(k.replace(" ", " · "), v) for k, v in report.get("by_lang_kind", {}).items()]

    def cell(key: str, value: Any) -> str:
        if value is None:
            return "—"
        if key.startswith(("latency", "first_shown")):
            return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    columns: tuple[tuple[str, str], ...] = COLUMNS
    if report["overall"].get("model_own") is not None:
        columns = (*COLUMNS, *MODEL_COLUMNS)
    header = f"{'group':<22}" + "".join(f"{title:>10}" for _, title in columns)
    lines = [header, "-" * len(header)]
    for name, metrics in rows:
        lines.append(
            f"{name:<22}" + "".join(f"{cell(key, metrics[key]):>10}" for key, _ in columns)
        )
    return "\n".join(lines)


def failures(results: Sequence[ItemResult]) -> list[str]:
    """One line per item that missed: wrong answer, wrong citation, or a missed refusal."""
    lines = []
    for r in results:
        wrong_docs = [d for d in r.cited if d not in r.item.docs]
        if r.item.kind in ANSWERABLE and (not r.answer_ok or wrong_docs):
            why = (
                "not answered"
                if not r.answer.answered
                else "facts missing"
                if not r.answer_ok
                else f"cites {', '.join(wrong_docs)}"
            )
            lines.append(f"{r.item.id} ({r.item.kind}, {r.item.lang}): {why}")
        elif r.item.kind in REFUSABLE and not r.refused:
            lines.append(
                f"{r.item.id} ({r.item.kind}, {r.item.lang}): answered instead of declining"
            )
    return lines
