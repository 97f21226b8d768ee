"""A generation's manifest: which articles (by content hash) and chunks it holds."""

from __future__ import annotations

import time
from typing import Any

from knowledge.chunking import SPLITTING
from knowledge.records import Chunk


def cut_by_current_rules(manifest: dict[str, Any] | None) -> bool:
    """Whether a generation's chunks were cut into sentences by the rules in use (`SPLITTING`;
    a manifest from before the rules had a version is version 1)."""
    return (manifest or {}).get("splitting", 1) == SPLITTING


def build_manifest(name: str, model: str, dimension: int, chunks: list[Chunk]) -> dict[str, Any]:
    """Manifest of a generation whose chunks are given in row order."""
    articles: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        entry = articles.setdefault(
            chunk.meta.doc_id,
            {"hash": chunk.content_hash, "meta": chunk.meta.to_dict(), "chunk_ids": []},
        )
        entry["chunk_ids"].append(chunk.chunk_id)
    return {
        "generation": name,
        "embedding_model": model,
        "dimension": dimension,
        "splitting": SPLITTING,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "chunks": len(chunks),
        "articles": articles,
    }
