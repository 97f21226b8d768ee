"""A knowledge base of its own per test: the seeds in a temp folder, the real encoder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.embeddings import Embedder
from tests.conftest import make_settings


@pytest.fixture
def kb(tmp_path: Path, embedder: Embedder) -> Iterator[KnowledgeBase]:
    """The seeds indexed in `tmp_path`, for tests that change the knowledge."""
    knowledge = KnowledgeBase.open(make_settings(tmp_path), embedder=embedder)
    yield knowledge
    knowledge.close()
