"""A knowledge base of its own per test: the seeds in a temp folder, the real encoder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.embeddings import Embedder
from knowledge.retrieval import search_with_evidence
from tests.conftest import make_settings


def assert_switch_changes_nothing(knowledge: KnowledgeBase, question: str, **off: bool) -> None:
    """Retrieval with one of its switches off (`offset=False`, `marks=False`) gives the same
    passages, sentence scores and relevance as with it on: the switch does not concern `question`.
    """
    generation, embedder = knowledge.generation, knowledge.embedder
    on, _ = search_with_evidence(generation, embedder, question, 5)
    plain, _ = search_with_evidence(generation, embedder, question, 5, **off)
    assert [(p.chunk.chunk_id, p.sentence_scores) for p in on.passages] == [
        (p.chunk.chunk_id, p.sentence_scores) for p in plain.passages
    ]
    assert on.relevance == plain.relevance


@pytest.fixture
def kb(tmp_path: Path, embedder: Embedder) -> Iterator[KnowledgeBase]:
    """The seeds indexed in `tmp_path`, for tests that change the knowledge."""
    knowledge = KnowledgeBase.open(make_settings(tmp_path), embedder=embedder)
    yield knowledge
    knowledge.close()
