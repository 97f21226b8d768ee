"""Ingest, retrieval and an extractive answer against a real `chroma run` server (127.0.0.1),
with two bot replicas sharing it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from knowledge import KnowledgeBase
from knowledge.embeddings import Embedder
from tests.chroma_server import ChromaServer, running_server
from tests.conftest import SEEDS, make_settings

pytestmark = [pytest.mark.server, pytest.mark.integration]

QUESTION = (
    "Hội nghị Cao cấp Liên hợp quốc lần thứ 2 về hợp tác Nam - Nam có bao nhiêu đoàn tham dự?"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running_server(tmp_path_factory.mktemp("chroma") / "data") as chroma:
        yield chroma


def replica(tmp: Path, server: ChromaServer, knowledge_dir: Path, prefix: str) -> KnowledgeBase:
    """Settings of one bot replica: its own local folder, the shared server and articles."""
    return make_settings(
        tmp,
        knowledge_dir=knowledge_dir,
        chroma_host=server.host,
        chroma_port=server.port,
        collection_prefix=prefix,
    )


def top_docs(knowledge: KnowledgeBase, question: str = QUESTION) -> list[str]:
    return [p.chunk.chunk_id for p in knowledge.search(question).passages]


def test_ingest_retrieval_and_answer_on_a_server(
    tmp_path: Path, server: ChromaServer, embedder: Embedder, seed_kb: KnowledgeBase
):
    settings = replica(tmp_path, server, SEEDS, "single")
    knowledge = KnowledgeBase.open(settings, embedder=embedder)
    try:
        assert knowledge.health()["ok"]
        assert knowledge.health()["store"] == f"chroma server {server.host}:{server.port}"
        assert knowledge.generation.collection.count() == len(seed_kb.generation.chunks)
        # The same vectors give the same ranking as the embedded store.
        assert top_docs(knowledge) == top_docs(seed_kb)
        assert "100" in " ".join(p.text for p in knowledge.search(QUESTION).passages)

        from bot.answerer import build_answerer
        from bot.settings import Settings

        bot_settings = Settings(**settings.model_dump(), llm_backend="extractive")
        answer = build_answerer(bot_settings, knowledge).answer(QUESTION)
        assert answer.answered, answer.text
        assert answer.citations
        assert {c.doc_id for c in answer.citations} <= {p.stem for p in SEEDS.glob("*.txt")}
    finally:
        knowledge.close()


def test_two_replicas_follow_one_generation(
    tmp_path: Path, server: ChromaServer, embedder: Embedder
):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    first = KnowledgeBase.open(
        replica(tmp_path / "a", server, articles, "shared"), embedder=embedder
    )
    # The second replica has no local files: it materializes the generation from the server.
    second = KnowledgeBase.open(
        replica(tmp_path / "b", server, articles, "shared"), embedder=embedder, auto_ingest=False
    )
    try:
        assert second.generation is not None
        assert second.generation.name == first.generation.name
        assert len(second.generation.chunks) == len(first.generation.chunks)
        # ... with the sentence vectors too, so that it scores passages by sentence as well.
        mine, theirs = first.generation.sentences, second.generation.sentences
        assert mine is not None and theirs is not None
        probe = np.ones(embedder.dimension, np.float32)
        for chunk_id, row in first.generation.row_of.items():
            np.testing.assert_allclose(
                mine.similarities(row, probe),
                theirs.similarities(second.generation.row_of[chunk_id], probe),
                rtol=1e-3,
            )
        assert top_docs(second) == top_docs(first)
        # ... and with the embedded terms that English questions are matched by.
        assert first.generation.terms is not None and second.generation.terms is not None
        assert second.generation.terms.terms == first.generation.terms.terms
        np.testing.assert_allclose(
            second.generation.terms.vectors, first.generation.terms.vectors, atol=1e-3
        )

        # One replica ingests a new article; the other follows the pointer on its next check.
        (articles / "extra.txt").write_text(
            "Hội nghị thượng đỉnh ASEAN về kinh tế xanh\n\n"
            + "Việt Nam đề xuất quỹ hợp tác kinh tế xanh ASEAN trị giá 7 tỷ đô la. " * 6,
            encoding="utf-8",
        )
        report = first.sync()
        assert report.added == ["extra"]
        assert second.refresh(force=True)
        assert second.generation.name == report.generation
        assert second.search("quỹ hợp tác kinh tế xanh ASEAN").passages[0].doc_id == "extra"
    finally:
        first.close()
        second.close()


def test_health_command_of_the_image(
    tmp_path: Path, server: ChromaServer, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
):
    """The Docker HEALTHCHECK runs `diplobot health`: ok once an index is served."""
    from bot.cli import main

    monkeypatch.setenv("DIPLOBOT_CHROMA_HOST", server.host)
    monkeypatch.setenv("DIPLOBOT_CHROMA_PORT", str(server.port))
    monkeypatch.setenv("DIPLOBOT_CHROMA_PATH", str(tmp_path / "index"))
    monkeypatch.setenv("DIPLOBOT_COLLECTION_PREFIX", "health")
    assert main(["health"]) == 1  # nothing ingested yet
    settings = replica(tmp_path, server, SEEDS, "health")
    KnowledgeBase.open(settings, embedder=embedder).close()
    assert main(["health"]) == 0
