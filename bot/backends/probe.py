"""Can this machine run a GGUF with the installed llama.cpp? Asked of a child process first.

A llama.cpp built for another CPU dies with SIGILL on its first matrix multiply (or on load), a
corrupt GGUF or a broken shared library can crash in C: none of it can be caught in the bot's own
process. So before the `llamacpp` backend loads a model, a child loads it with the same context
size and threads and generates one token; the parent reads the outcome and says why not.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["PORTABLE_BUILD_HINT", "ProbeResult", "child_command", "clear_cache", "probe_model"]

PORTABLE_BUILD_HINT = (
    "rebuild llama-cpp-python for a portable CPU baseline: make install-local, or "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install --no-cache-dir --force-reinstall llama-cpp-python=={version}"
)

# Runs in the child with only llama_cpp imported: argv[1] is a JSON request, one JSON line out.
_CHILD = r"""
import json, sys, time
request = json.loads(sys.argv[1])
def reply(**fields):
    print(json.dumps(fields), flush=True)
try:
    from llama_cpp import Llama
except Exception as error:
    reply(stage="import", error=f"{type(error).__name__}: {error}")
    sys.exit(3)
started = loaded = time.perf_counter()
stage = "load"
try:
    llama = Llama(model_path=request["model"], n_ctx=request["n_ctx"],
                  n_threads=request["n_threads"], verbose=True)
    loaded, stage = time.perf_counter(), "generate"
    out = llama.create_completion(request["prompt"], max_tokens=1, temperature=0.0)
except Exception as error:
    reply(stage=stage, error=f"{type(error).__name__}: {error}")
    sys.exit(3)
reply(tokens=out["usage"]["completion_tokens"], text=out["choices"][0]["text"],
      load_s=round(loaded - started, 3), generate_s=round(time.perf_counter() - loaded, 3))
"""

# Several tokens, so that the prompt goes through a batched matrix multiply as real prompts do
# (where the AMX SIGILL hit), yet cheap: about a second on 2 cores for the 1.5B model.
_PROMPT = "ESCAP, a regional commission of the United Nations, was founded in"


@dataclass(frozen=True)
class ProbeResult:
    """What the child did: `ok` with the tokens it produced, or the reason it could not."""

    ok: bool
    reason: str = ""
    tokens: int = 0
    seconds: float = 0.0


def child_command() -> list[str]:
    """The child's command line, less its request (a seam: tests put a crashing child here)."""
    return [sys.executable, "-c", _CHILD]


def llama_cpp_version() -> str:
    """The installed llama-cpp-python's version, without importing it ("" when absent)."""
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return ""


_results: dict[tuple[object, ...], ProbeResult] = {}


def clear_cache() -> None:
    """Forget earlier outcomes (tests; a rebuilt llama.cpp is seen by its version anyway)."""
    _results.clear()


def probe_model(path: Path, n_ctx: int, n_threads: int, timeout: float) -> ProbeResult:
    """Load `path` and generate one token in a child process; cached for this process.

    The outcome is kept per file (path, size, mtime), llama-cpp-python version and settings,
    so that `chat` or the tests building several backends pay for it once.
    """
    stat = path.stat()
    version = llama_cpp_version()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, version, n_ctx, n_threads)
    if key not in _results:
        _results[key] = _run_child(path, n_ctx, n_threads, timeout, version)
        result = _results[key]
        if result.ok:
            log.info("%s ran in a child in %.1f s", path.name, result.seconds)
    return _results[key]


def _gguf_problem(path: Path) -> str:
    # Cheap and exact for the commonest bad file (not a GGUF at all: HTML, a pointer file).
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError as error:
        return f"cannot read the file ({error})"
    return "" if magic == b"GGUF" else f"not a GGUF file (it starts with {magic!r}, not b'GGUF')"


def _run_child(path: Path, n_ctx: int, n_threads: int, timeout: float, version: str) -> ProbeResult:
    problem = _gguf_problem(path)
    if problem:
        return ProbeResult(False, problem)
    request = {"model": str(path), "n_ctx": n_ctx, "n_threads": n_threads, "prompt": _PROMPT}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*child_command(), json.dumps(request)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(
            False,
            f"loading it and generating one token took over {timeout:g} s (a machine too slow "
            "or too busy for this model; DIPLOBOT_LLM_PROBE_TIMEOUT sets the limit)",
        )
    except OSError as error:
        return ProbeResult(False, f"the check could not start a child process ({error})")
    seconds = time.perf_counter() - started
    if done.returncode < 0:
        reason = _signal_reason(-done.returncode, done.stderr, version)
        return ProbeResult(False, reason, 0, seconds)
    reply = _last_json(done.stdout)
    if done.returncode != 0 or "error" in reply:
        return ProbeResult(False, _error_reason(done.returncode, reply, done.stderr), 0, seconds)
    count = reply.get("tokens")
    tokens = count if isinstance(count, int) else 0
    if tokens < 1:
        return ProbeResult(False, "llama.cpp loaded it but generated no token", 0, seconds)
    return ProbeResult(True, "", tokens, seconds)


def _signal_reason(number: int, stderr: str, version: str) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if name == "SIGILL":
        return (
            "llama.cpp died with SIGILL (illegal instruction): it was built for another CPU "
            "(e.g. -march=native on a machine with AMX or AVX-512 this one cannot use); "
            + PORTABLE_BUILD_HINT.format(version=version or "VERSION")
        )
    detail = _llama_errors(stderr)
    return (
        f"llama.cpp crashed ({name}) loading or running it: a corrupt GGUF or a broken "
        f"llama-cpp-python build{f' ({detail})' if detail else ''}"
    )


def _error_reason(returncode: int, reply: dict[str, object], stderr: str) -> str:
    error = str(reply.get("error") or "")
    stage = reply.get("stage")
    if stage == "import":
        return (
            f"llama-cpp-python cannot be imported ({error}): reinstall it, e.g. make install-local"
        )
    detail = _llama_errors(stderr)
    if error:
        # llama-cpp-python's own message is generic ("Failed to load model from file"); the
        # reason is in llama.cpp's log.
        return f"llama.cpp could not {'load' if stage == 'load' else 'run'} it: {error}" + (
            f" ({detail})" if detail else ""
        )
    tail = " | ".join(stderr.strip().splitlines()[-3:])
    return f"the check's child exited with status {returncode}" + (f": {tail}" if tail else "")


def _llama_errors(stderr: str) -> str:
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if any(word in line.lower() for word in ("error", "failed", "invalid", "corrupt"))
    ]
    return " | ".join(lines[-3:])[:400]


def _last_json(stdout: str) -> dict[str, object]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}
