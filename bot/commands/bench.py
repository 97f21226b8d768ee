"""`diplobot bench` (speed and memory on a synthetic corpus) and `diplobot health` (for Docker).

Usage:
    diplobot bench                              # tiers 1000,10000,100000; table on stdout
    diplobot bench --quick                      # 200 articles, tiers up to 10,000: a smoke run
    diplobot bench --tiers 1000,10000 --json    # figures as JSON
    diplobot bench --model qwen2.5-coder-1.5b   # a local model's prompt and generation tokens/s
    diplobot health                             # exit 0 when the index (and Chroma) answer
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `bench` and `health` subcommands."""
    bench: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="speed and memory figures on a synthetic corpus built from the seeds"
    )
    bench.add_argument(
        "--tiers",
        default="1000,10000,100000",
        help="index sizes in chunks for the latency figures (default: %(default)s)",
    )
    bench.add_argument(
        "--articles",
        type=int,
        default=1000,
        help="synthetic articles ingested with the real encoder (default: %(default)s)",
    )
    bench.add_argument("--queries", type=int, default=40, help="queries timed per tier")
    bench.add_argument("--quick", action="store_true", help="200 articles, tiers up to 10,000")
    bench.add_argument(
        "--backend", choices=("torch", "onnx"), default=None, help="encoder backend to measure"
    )
    bench.add_argument(
        "--workdir", type=Path, default=Path("data/bench"), help="emptied, then holds the indexes"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--model",
        default=None,
        help="measure this local GGUF (a path or a packaged name) instead of retrieval",
    )
    bench.add_argument(
        "--threads", type=int, default=0, help="llama.cpp threads for --model (0: every core)"
    )
    bench.set_defaults(func=run_bench_command)

    health: argparse.ArgumentParser = subparsers.add_parser(
        "health", help="exit 0 when the index in use can be read (the Docker healthcheck)"
    )
    health.set_defaults(func=run_health)


def run_bench_command(args: argparse.Namespace) -> int:
    from bot.bench.runner import render_table, run_bench
    from bot.settings import Settings

    if args.model:
        return run_model_bench(args)

    tiers = [int(t) for t in str(args.tiers).split(",") if t.strip()]
    articles, queries = args.articles, args.queries
    if args.quick:
        tiers = [t for t in tiers if t <= 10_000]
        articles, queries = min(articles, 200), min(queries, 20)
    backend = args.backend or Settings().embedding_backend
    say = (lambda _: None) if args.json else (lambda text: print(text, file=sys.stderr))
    figures = run_bench(tiers, args.workdir, backend, articles, queries, say)
    if args.json:
        print(json.dumps(figures.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(render_table(figures))
        print(
            "\nLarger tiers: vectors are the normalised mean of real sentence embeddings plus "
            "a small jitter; queries are embedded by the real encoder."
        )
    return 0


def run_model_bench(args: argparse.Namespace) -> int:
    from bot.backends.llamacpp import default_threads
    from bot.bench.model import measure
    from bot.model_files import ModelFileError, cache_dir, model_path
    from bot.settings import Settings

    try:
        path = model_path(args.model, cache_dir(Settings().model_cache))
    except ModelFileError as error:
        print(f"diplobot bench: {error}", file=sys.stderr)
        return 1
    speed = measure(path, args.threads or default_threads())
    print(json.dumps(speed.to_dict(), indent=1) if args.json else speed.render())
    return 0


def run_health(args: argparse.Namespace) -> int:
    """Cheap enough to run every 30 s: no model is loaded, only the pointer and Chroma."""
    from bot.settings import Settings
    from knowledge.errors import KnowledgeError
    from knowledge.store import GenerationStore

    store = GenerationStore(Settings())
    try:
        name = store.current_name()
    except KnowledgeError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if name is None:
        print("unhealthy: no index yet (the bot ingests at start)", file=sys.stderr)
        return 1
    print(f"ok: {store.describe()} serves generation {name}")
    return 0
