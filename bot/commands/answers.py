"""`diplobot ask`, `diplobot chat` and `diplobot eval`: the answer layer from the command line.

diplobot ask "ESCAP được thành lập năm nào?"          # answer and numbered sources
diplobot ask --json "When was ESCAP established?"      # one JSON object
echo '{"id": "q1", "question": "..."}' | diplobot ask --batch
diplobot chat --backend ollama --model qwen2.5:7b      # a console conversation
diplobot eval evals/dev.jsonl --dump answers.jsonl     # metrics per kind and language
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.answerer import Answerer, build_answerer
from bot.answers import Answer, Turn
from bot.backends import BACKENDS
from bot.settings import Settings


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=sorted(BACKENDS), help="answer backend")
    parser.add_argument(
        "--model", help="model name on the server; for llamacpp a GGUF path or gemma3-270m"
    )
    parser.add_argument("--base-url", help="model server URL")


def register(subparsers: Any) -> None:
    """Add `ask`, `chat` and `eval` to the command line."""
    ask = subparsers.add_parser("ask", help="answer a question with cited sources")
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--batch",
        action="store_true",
        help='JSON lines {"id", "question"|"turns"} on stdin; one JSON line out for each',
    )
    _add_overrides(ask)
    ask.set_defaults(func=run_ask)

    chat = subparsers.add_parser("chat", help="a console conversation (/new resets, /quit ends)")
    _add_overrides(chat)
    chat.set_defaults(func=run_chat)

    evaluation = subparsers.add_parser("eval", help="answer-quality metrics on a JSONL set")
    evaluation.add_argument("file", type=Path, help="evaluation set (JSON lines)")
    evaluation.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluation.add_argument("--dump", type=Path, help="write each item with its answer (JSONL)")
    evaluation.add_argument(
        "--limit", type=int, default=None, help="evaluate a random sample of N items"
    )
    evaluation.add_argument(
        "--seed", type=int, default=0, help="seed of the --limit sample (default 0)"
    )
    evaluation.add_argument(
        "--retriever",
        choices=("hybrid", "dense", "lexical"),
        help="rank passages with one retriever alone, to measure each part of the fusion",
    )
    evaluation.add_argument(
        "--curve",
        action="store_true",
        help="answer every item (threshold 0) and print, per language, what each relevance "
        "threshold would give: answered share against wrong answers",
    )
    evaluation.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_overrides(evaluation)
    evaluation.set_defaults(func=run_eval)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's backend overrides."""
    settings = Settings()
    overrides = {
        "llm_backend": getattr(args, "backend", None),
        "llm_model": getattr(args, "model", None),
        "llm_base_url": getattr(args, "base_url", None),
        "retriever": getattr(args, "retriever", None),
    }
    return settings.model_copy(update={k: v for k, v in overrides.items() if v})


def open_answerer(args: argparse.Namespace) -> Answerer | None:
    """Load the knowledge base and the backend once; None (after a message) when impossible."""
    from knowledge import KnowledgeBase, KnowledgeError

    settings = settings_from_args(args)
    try:
        return build_answerer(settings, KnowledgeBase.open(settings))
    except (KnowledgeError, ImportError, ValueError) as error:
        print(f"cannot answer: {error}", file=sys.stderr)
        return None


def format_answer(answer: Answer) -> str:
    """The answer, its notice, then the numbered sources (title — outlet, date, URL)."""
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, answer.notice)
    if answer.citations:
        lines.append("")
        lines.append("Nguồn / Sources:")
        for citation in answer.citations:
            details = ", ".join(x for x in (citation.source, citation.date, citation.url) if x)
            lines.append(f"[{citation.n}] {citation.title}" + (f" — {details}" if details else ""))
    return "\n".join(lines)


def _answer_turns(answerer: Answerer, turns: list[str]) -> Answer:
    history: list[Turn] = []
    answer = None
    for question in turns:
        answer = answerer.answer(question, history)
        history.append(Turn(question, answer.text, answer.standalone_question))
    assert answer is not None
    return answer


def run_batch(answerer: Answerer) -> int:
    """Answer JSON lines from stdin, writing one JSON object per line with its `id`."""
    status = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            turns = request.get("turns") or [request["question"]]
            if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
                raise ValueError("turns must be a list of strings")
        except (ValueError, KeyError, AttributeError) as error:
            print(json.dumps({"line": number, "error": f"bad request: {error}"}), flush=True)
            status = 1
            continue
        result = {"id": request.get("id"), **_answer_turns(answerer, turns).to_dict()}
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return status


def run_ask(args: argparse.Namespace) -> int:
    """`ask`: one question, or JSON lines with --batch."""
    if not args.batch and not args.question:
        print("ask: give a QUESTION, or --batch to read JSON lines on stdin", file=sys.stderr)
        return 2
    answerer = open_answerer(args)
    if answerer is None:
        return 1
    if args.batch:
        return run_batch(answerer)
    answer = answerer.answer(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_answer(answer))
    return 0


def run_chat(args: argparse.Namespace) -> int:
    """`chat`: a conversation in the console, streaming the model's tokens as they come."""
    answerer = open_answerer(args)
    if answerer is None:
        return 1
    print(f"backend: {answerer.backend.name}. /new starts over, /quit ends.", file=sys.stderr)
    history: list[Turn] = []
    while True:
        try:
            question = input("\n› ").strip()
        except EOFError:
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            history = []
            print("(new conversation)")
            continue
        if not question:
            continue
        streamed: list[str] = []

        def show(delta: str, streamed: list[str] = streamed) -> None:
            streamed.append(delta)
            print(delta, end="", flush=True)

        answer = answerer.answer(question, history, on_token=show)
        if streamed:
            print()
        # The checked answer replaces the stream when they differ (renumbered citations,
        # a fallback, a decline): show it in full.
        if "".join(streamed).strip() != answer.text:
            print(answer.text if not streamed else f"\n{answer.text}")
        if answer.notice:
            print(answer.notice)
        print(format_answer(answer).split(answer.text, 1)[-1].rstrip())
        history.append(Turn(question, answer.text, answer.standalone_question))
        history = history[-answerer.settings.history_turns :]


def run_eval(args: argparse.Namespace) -> int:
    """`eval FILE`: metrics per kind and language; --json, --dump."""
    from tqdm import tqdm

    from bot.evaluation import (
        evaluate,
        failures,
        format_curve,
        format_table,
        load_items,
        operating_curve,
        sample,
    )

    try:
        items = load_items(args.file)
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 1
    if args.limit is not None:
        items = sample(items, args.limit, args.seed)
    answerer = open_answerer(args)
    if answerer is None:
        return 1
    configured = answerer.settings.relevance_threshold
    if args.curve:  # every question answered; the curve says what each threshold would drop
        answerer.settings = answerer.settings.model_copy(update={"relevance_threshold": 0.0})
    # A first question loads lazy parts (tokenizers, caches) so that latency is warm.
    answerer.answer(items[0].turns[0] if items else "ESCAP")
    with tqdm(
        total=len(items), unit="item", desc="eval", file=sys.stderr, disable=args.no_progress
    ) as bar:
        report, results = evaluate(
            answerer, items, progress=lambda: bar.update(1), relevance=args.curve
        )
    report["backend"] = answerer.backend.name
    report["retriever"] = answerer.settings.retriever
    report["file"] = str(args.file)
    if args.limit is not None:
        report["sample"] = {"limit": args.limit, "seed": args.seed}
    if args.curve:
        thresholds = sorted({round(0.05 * i, 2) for i in range(1, 20)} | {configured})
        report["curve"] = operating_curve(results, thresholds)
        report["configured_threshold"] = configured
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for result in results:
                out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        sampled = f" (sample, seed {args.seed})" if args.limit is not None else ""
        print(
            f"{args.file}: {len(items)} items{sampled}, backend {answerer.backend.name}, "
            f"retriever {answerer.settings.retriever}"
        )
        print(format_table(report))
        if args.curve:
            print(f"\noperating curve (configured threshold {configured}):")
            print(format_curve(report["curve"]))
        missed = failures(results)
        if missed:
            print("\nmissed:")
            print("\n".join(f"  {line}" for line in missed))
    return 0
