"""Faults of real deployments: a kill mid-ingest, Chroma going away, unreadable articles, a full
disk. Each must end in a clear error and the last good knowledge still serving.

The model-free `HashingEmbedder` keeps these fast; the store, the files and the processes are
real. (The model server being down is the answer layer's test: the extractive fallback.)
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answerer import build_answerer
from bot.bench.corpus import SyntheticCorpus, seed_sentences, write_articles
from bot.settings import Settings
from knowledge import KnowledgeBase, KnowledgeError, StoreUnavailable
from knowledge.embeddings import HashingEmbedder
from tests.chroma_server import running_server
from tests.conftest import ROOT, SEEDS, make_settings

QUERIES = ["hợp tác Nam - Nam", "Liên hợp quốc", "phát triển bền vững", "Bộ Ngoại giao Việt Nam"]
MODEL = "hashing-256"
QUESTION = "Việt Nam ủng hộ hợp tác Nam - Nam như thế nào?"

# A separate process: open the index (ingesting in "ingest" modes), print what it serves.
# "ingest-slow" pauses after each batch written to Chroma, so that the test can kill it there.
CHILD = r"""
import json, sys, time
from bot.settings import Settings
from knowledge import KnowledgeBase, KnowledgeSettings
from knowledge.store import GenerationStore

mode, queries = sys.argv[1], json.loads(sys.argv[2])
if mode == "ingest-slow":
    create = GenerationStore.create_collection

    class Slow:
        def __init__(self, collection):
            self.collection = collection

        def __getattr__(self, name):
            return getattr(self.collection, name)

        def add(self, **batch):
            self.collection.add(**batch)
            print("added", len(batch["ids"]), flush=True)
            time.sleep(0.5)

    GenerationStore.create_collection = lambda self, *a: Slow(create(self, *a))
knowledge = KnowledgeBase.open(KnowledgeSettings(_env_file=None), auto_ingest=False)
if mode != "search":
    knowledge.sync()
results = [[p.chunk.chunk_id for p in knowledge.search(q).passages] for q in queries]
print(json.dumps({"generation": knowledge.generation.name, "results": results}), flush=True)
"""


def child_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DIPLOBOT_KNOWLEDGE_DIR": str(tmp / "articles"),
        "DIPLOBOT_CHROMA_PATH": str(tmp / "index"),
        "DIPLOBOT_EMBEDDING_MODEL": MODEL,
        "PYTHONPATH": str(ROOT),
    }


def run_child(tmp: Path, mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, json.dumps(QUERIES)],
        env=child_env(tmp),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def generations(tmp: Path) -> set[str]:
    return {p.name for p in (tmp / "index" / "generations").iterdir()}


@pytest.mark.integration
def test_sigkill_during_ingest_keeps_last_good_index(tmp_path: Path):
    corpus = SyntheticCorpus(seed_sentences())
    # Over 1,000 chunks: Chroma flushes its HNSW index every 1,000 records, and indexes past
    # that size have been reported to come back different after a restart.
    write_articles(corpus, tmp_path / "articles", 1200)
    built = run_child(tmp_path, "ingest")
    manifest = tmp_path / "index" / "generations" / built["generation"] / "manifest.json"
    assert json.loads(manifest.read_text())["chunks"] > 1000
    assert run_child(tmp_path, "search") == built  # a restart serves the same results

    write_articles(corpus, tmp_path / "articles", 300, start=1200)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "ingest-slow", json.dumps(QUERIES)],
        env=child_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    written = 0
    for line in child.stdout:
        written += int(line.split()[1]) if line.startswith("added") else 0
        if written >= 500:  # mid-way through writing the new generation's vectors
            child.send_signal(signal.SIGKILL)
            break
    assert child.wait(timeout=60) == -signal.SIGKILL
    half_built = generations(tmp_path) - {built["generation"]}
    assert len(half_built) == 1

    assert run_child(tmp_path, "search") == built  # the last good knowledge serves

    rebuilt = run_child(tmp_path, "ingest")  # and a new ingest completes
    assert rebuilt["generation"] not in {built["generation"], *half_built}
    assert not half_built & generations(tmp_path)  # the killed build was cleaned up
    manifest = tmp_path / "index" / "generations" / rebuilt["generation"] / "manifest.json"
    assert len(json.loads(manifest.read_text())["articles"]) == 1500
    assert run_child(tmp_path, "search") == rebuilt


@pytest.mark.server
def test_chroma_server_down_gives_a_clear_error_then_recovers(tmp_path: Path):
    with running_server(tmp_path / "chroma") as server:
        settings = make_settings(tmp_path, chroma_host=server.host, chroma_port=server.port)
        knowledge = KnowledgeBase.open(settings, embedder=HashingEmbedder())
        answerer = build_answerer(Settings(**settings.model_dump()), knowledge)
        try:
            before = [p.chunk.chunk_id for p in knowledge.search(QUERIES[0]).passages]
            assert before

            server.stop()
            with pytest.raises(StoreUnavailable) as error:
                knowledge.search(QUERIES[0])
            message = str(error.value)
            assert "try again" in message and "Error" not in message and "http" not in message
            assert knowledge.health()["ok"] is False
            reply = answerer.answer(QUESTION)  # what the user reads
            assert not reply.answered and reply.flags == ["store_unavailable"]
            assert "thử lại" in reply.text and "Traceback" not in reply.text

            server.start()
            after = [p.chunk.chunk_id for p in knowledge.search(QUERIES[0]).passages]
            assert after == before
            assert knowledge.health()["ok"] is True
            assert answerer.answer(QUESTION).flags != ["store_unavailable"]
        finally:
            knowledge.close()


@pytest.fixture
def served(tmp_path: Path) -> KnowledgeBase:
    knowledge = KnowledgeBase.open(make_settings(tmp_path), embedder=HashingEmbedder())
    yield knowledge
    knowledge.close()


def snapshot(knowledge: KnowledgeBase) -> tuple[str, list[list[str]]]:
    results = [[p.chunk.chunk_id for p in knowledge.search(q).passages] for q in QUERIES]
    return knowledge.generation.name, results


def add_article(knowledge: KnowledgeBase) -> None:
    shutil.copy(next(SEEDS.glob("*.txt")), Path(knowledge.settings.knowledge_dir) / "copy.txt")


def test_unreadable_knowledge_directory_gives_a_clear_error(
    served: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
):
    before = snapshot(served)
    folder = Path(served.settings.knowledge_dir)
    add_article(served)

    def denied(path: Path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    # Simulated: the tests may run as root, for whom chmod 000 blocks nothing.
    monkeypatch.setattr("knowledge.ingest.article_files", denied)
    with pytest.raises(KnowledgeError, match=r"cannot be read .*Permission denied"):
        served.sync()
    assert snapshot(served) == before
    assert generations(folder.parent) == {before[0]}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway")
def test_chmod_000_knowledge_directory_gives_a_clear_error(served: KnowledgeBase):
    before = snapshot(served)
    folder = Path(served.settings.knowledge_dir)
    add_article(served)
    folder.chmod(0)
    try:
        with pytest.raises(KnowledgeError, match="cannot be read"):
            served.sync()
    finally:
        folder.chmod(0o755)
    assert snapshot(served) == before


@pytest.mark.parametrize("write", ["knowledge.store.np.save", "knowledge.store.os.replace"])
def test_full_disk_loses_nothing(
    served: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, write: str
):
    before = snapshot(served)
    index = Path(served.settings.chroma_path)
    add_article(served)

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(write, no_space)
        with pytest.raises(KnowledgeError, match="disk is full"):
            served.sync()
    assert snapshot(served) == before
    assert (index / "CURRENT").read_text() == before[0]
    assert generations(index.parent) == {before[0]}  # the half-written build is gone
    assert not list(index.glob(".CURRENT.*"))

    report = served.sync()  # space again: the article goes in
    assert report.added == ["copy"]
