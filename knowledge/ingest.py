"""Sync the knowledge directory into a new index generation, incrementally and atomically.

Articles are compared by content hash with the generation serving: unchanged ones keep their
chunks and vectors (copied, never re-embedded), changed and new ones are chunked and embedded,
removed ones are left out. Nothing changed: no new generation at all. The new generation is
switched in only once complete; until then the old one keeps serving.
"""

from __future__ import annotations

import errno
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.articles import article_files, content_hash, load_article
from knowledge.chunking import chunk_article
from knowledge.embeddings import Embedder
from knowledge.errors import ArticleRejected, KnowledgeError, StoreUnavailable
from knowledge.lexical import LexicalIndex
from knowledge.manifest import build_manifest, cut_by_current_rules
from knowledge.records import Chunk, IngestReport
from knowledge.sentences import SentenceIndex, chunk_sentences, concat, embed_chunks
from knowledge.settings import KnowledgeSettings
from knowledge.store import KEEP_GENERATIONS, Generation, GenerationStore, chunk_metadata
from knowledge.terms import TermIndex

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)
CHROMA_BATCH = 250  # Chroma's performance guide: insert in batches of 50-250


@dataclass(frozen=True)
class Plan:
    """What an ingest will do, decided from file hashes alone (cheap: no parsing)."""

    files: dict[str, Path]
    hashes: dict[str, str]
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    duplicates: dict[str, str]


def plan_sync(knowledge_dir: Path, manifest: dict[str, Any] | None, model: str) -> Plan:
    """Compare the folder with the manifest of the generation serving (None: no index yet)."""
    if not knowledge_dir.is_dir():
        raise KnowledgeError(f"the knowledge directory {knowledge_dir} does not exist")
    files: dict[str, Path] = {}
    duplicates: dict[str, str] = {}
    try:
        for path in article_files(knowledge_dir):
            if path.stem in files:
                duplicates[path.name] = f"same name as {files[path.stem].name}"
                continue
            files[path.stem] = path
        hashes = {doc_id: content_hash(path) for doc_id, path in files.items()}
    except PermissionError as error:
        raise KnowledgeError(
            f"the knowledge directory cannot be read ({error.strerror}: {error.filename})"
        ) from error
    indexed: dict[str, Any] = dict((manifest or {}).get("articles", {}))
    built_with = str((manifest or {}).get("embedding_model", ""))
    # Chunks cut by older sentence rules do not match their stored sentence vectors.
    known = indexed if built_with == model and cut_by_current_rules(manifest) else {}
    return Plan(
        files=files,
        hashes=hashes,
        added=sorted(d for d in files if d not in known),
        updated=sorted(d for d in files if d in known and known[d]["hash"] != hashes[d]),
        removed=sorted(d for d in indexed if d not in files),
        unchanged=sorted(d for d in files if d in known and known[d]["hash"] == hashes[d]),
        duplicates=duplicates,
    )


def sync(
    settings: KnowledgeSettings,
    store: GenerationStore,
    current: Generation | None,
    embedder: Embedder,
    progress: Progress | None = None,
) -> tuple[IngestReport, str | None]:
    """Build and switch in a new generation if the folder changed; returns it (or None)."""
    started = time.perf_counter()
    plan = plan_sync(
        Path(settings.knowledge_dir), current.manifest if current else None, embedder.name
    )
    report = IngestReport(
        added=list(plan.added),
        updated=list(plan.updated),
        removed=list(plan.removed),
        unchanged=list(plan.unchanged),
        failed=dict(plan.duplicates),
        chunks=current.manifest.get("chunks", 0) if current else 0,
        generation=current.name if current else "",
    )
    # Parse what changed; a broken file is skipped (its previous version, if any, kept).
    fresh: list[Chunk] = []
    for doc_id in plan.added + plan.updated:
        try:
            article = load_article(plan.files[doc_id])
        except ArticleRejected as error:
            report.failed[plan.files[doc_id].name] = str(error).split(": ", 1)[-1]
            if doc_id in plan.added:
                report.added.remove(doc_id)
            else:
                report.updated.remove(doc_id)
                report.unchanged.append(doc_id)
            continue
        fresh.extend(
            chunk_article(
                article,
                size=settings.chunk_size,
                overlap=settings.chunk_overlap,
                count_tokens=embedder.count_tokens,
                max_tokens=embedder.max_tokens,
            )
        )
    kept_docs = set(report.unchanged)
    # Nothing changed (or every change was a broken file): no new generation at all.
    if current is not None and not report.changed:
        report.seconds = time.perf_counter() - started
        return report, None

    try:
        chunks, vectors, sentences = _assemble(store, current, kept_docs, fresh, embedder, progress)
        report.embedded = len(fresh)
        # Terms the serving generation holds keep their vectors (same encoder); only new ones
        # are embedded.
        same_encoder = current is not None and current.embedding_model == embedder.name
        previous_terms = current.terms if current is not None and same_encoder else None
        # Counted over distinct sentences: overlapping chunks repeat theirs.
        distinct = dict.fromkeys(s for c in chunks for s in chunk_sentences(c.text))
        terms = TermIndex.build(distinct, embedder, previous_terms)
        name = write_generation(
            store, chunks, vectors, embedder.name, embedder.dimension, sentences, terms
        )
    except OSError as error:
        raise KnowledgeError(_os_error_message(error)) from error
    previous = [current.name] if current else []
    store.collect_garbage(keep=[name, *previous[: KEEP_GENERATIONS - 1]])
    report.chunks = len(chunks)
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report, name


def unchanged_report(settings: KnowledgeSettings, store: GenerationStore) -> IngestReport | None:
    """The report of an ingest that would change nothing, from the pointer, the manifest and
    file hashes alone; None when something changed or cannot be told without opening the index.

    Opening the index imports Chroma and the encoder, which is most of a no-op ingest's time.
    """
    if store.server_mode:
        return None
    started = time.perf_counter()
    name = store.current_name()
    if name is None or not store.is_ready(name):
        return None
    try:
        manifest = json.loads((store.folder(name) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plan = plan_sync(Path(settings.knowledge_dir), manifest, settings.embedding_model)
    if plan.added or plan.updated or plan.removed:
        return None
    return IngestReport(
        unchanged=list(plan.unchanged),
        failed=dict(plan.duplicates),
        chunks=int(manifest.get("chunks", 0)),
        generation=name,
        seconds=time.perf_counter() - started,
    )


def write_generation(
    store: GenerationStore,
    chunks: list[Chunk],
    vectors: np.ndarray,
    model: str,
    dimension: int,
    sentences: SentenceIndex | None = None,
    terms: TermIndex | None = None,
) -> str:
    """Build a generation from chunks and their vectors and switch it in; returns its name.

    Until the switch the old generation keeps serving; any failure (a kill included) leaves
    only an unREADY folder, which the next ingest's garbage collection removes.
    """
    name = store.begin()
    try:
        collection = store.create_collection(name, model)
        for start in range(0, len(chunks), CHROMA_BATCH):
            batch = chunks[start : start + CHROMA_BATCH]
            collection.add(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[start : start + CHROMA_BATCH],
                documents=[c.text for c in batch],
                metadatas=[chunk_metadata(c) for c in batch],
            )
        if sentences is not None:
            store.add_sentence_vectors(name, [c.chunk_id for c in chunks], sentences)
        if terms is not None:
            store.add_terms(name, terms)
        if collection.count() != len(chunks):
            raise StoreUnavailable(
                f"the vector store holds {collection.count()} of {len(chunks)} chunks"
            )
        manifest = build_manifest(name, model, dimension, chunks)
        lexical = LexicalIndex.build([c.text for c in chunks])
        store.write_files(name, manifest, chunks, vectors, lexical, sentences, terms)
        store.switch_to(name)
    except BaseException:
        # Anything, a KeyboardInterrupt included: the old generation keeps serving.
        store.discard(name)
        raise
    return name


def _os_error_message(error: OSError) -> str:
    kept = "the previous index still serves"
    if error.errno == errno.ENOSPC:
        return f"the disk is full, so the new index could not be written; {kept}"
    where = f" ({error.filename})" if error.filename else ""
    return f"the index could not be written: {error.strerror or error}{where}; {kept}"


def _assemble(
    store: GenerationStore,
    current: Generation | None,
    kept_docs: set[str],
    fresh: list[Chunk],
    embedder: Embedder,
    progress: Progress | None,
) -> tuple[list[Chunk], np.ndarray, SentenceIndex | None]:
    """Chunks of the new generation in row order, their vectors and sentence vectors.

    Kept articles' vectors are copied, never re-embedded. A generation without sentence
    vectors (built before them, or by a server replica) gets its kept chunks re-embedded, so
    that every row of the new one has its sentences.
    """
    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    sentence_parts: list[SentenceIndex] = []
    previous = store.sentences(current.name) if current is not None else None
    if current is not None and kept_docs and previous is None:
        fresh = [c for c in current.chunks if c.meta.doc_id in kept_docs] + fresh
    elif current is not None and kept_docs and previous is not None:
        rows = [row for row, c in enumerate(current.chunks) if c.meta.doc_id in kept_docs]
        chunks.extend(current.chunks[row] for row in rows)
        parts.append(np.asarray(store.vectors(current.name)[rows], dtype=np.float32))
        sentence_parts.append(previous.take(rows))
    vectors, sentences = embed_chunks(fresh, embedder, progress)
    chunks.extend(fresh)
    parts.append(vectors)
    sentence_parts.append(sentences)
    return chunks, np.concatenate(parts), concat(sentence_parts, embedder.dimension)
