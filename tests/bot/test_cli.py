"""The command line as scripts use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    # `diplobot … | head`: the pipe closes before the command has written everything.
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "models", "list"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
