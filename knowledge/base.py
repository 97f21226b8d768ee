"""`KnowledgeBase`: the one object the answer layer and the bot use for knowledge.

It serves the current index generation, swaps in a new one when an ingest (in this process, or
an `ingest` command run beside a bot) switches the pointer, and runs one ingest at a time.
Searches take a reference to the generation they start with, so a swap never mixes two.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from knowledge.articles import SUPPORTED_SUFFIXES, parse_article
from knowledge.embeddings import Embedder, build_embedder
from knowledge.errors import ArticleRejected, IngestBusy, KnowledgeError
from knowledge.ingest import Progress, sync
from knowledge.records import ArticleMeta, IngestReport, SearchResult, SourceSummary
from knowledge.relevance import Evidence
from knowledge.retrieval import search_with_evidence
from knowledge.settings import KnowledgeSettings
from knowledge.store import Generation, GenerationStore

log = logging.getLogger(__name__)

POINTER_CHECK_SECONDS = 3.0
_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


class KnowledgeBase:
    """Search, sync and describe the knowledge; safe to share between threads."""

    def __init__(
        self, settings: KnowledgeSettings, embedder: Embedder, store: GenerationStore | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store or GenerationStore(settings)
        self._generation: Generation | None = None
        self._ingest_mutex = threading.Lock()
        self._swap_mutex = threading.Lock()
        self._pointer_checked = 0.0
        self.last_report: IngestReport | None = None

    @classmethod
    def open(
        cls,
        settings: KnowledgeSettings,
        embedder: Embedder | None = None,
        auto_ingest: bool = True,
    ) -> KnowledgeBase:
        """Load the embedding model and the generation in use; ingest first if there is none."""
        embedder = embedder or build_embedder(
            settings.embedding_model, settings.embedding_backend, settings.embedding_batch_size
        )
        knowledge = cls(settings, embedder)
        knowledge.refresh(force=True)
        if knowledge._generation is None and auto_ingest:
            log.info("no index yet: ingesting %s", settings.knowledge_dir)
            knowledge.sync()
        return knowledge

    # --- serving -----------------------------------------------------------------------------
    @property
    def generation(self) -> Generation | None:
        return self._generation

    def refresh(self, force: bool = False) -> bool:
        """Swap in the generation the pointer names if it changed; True when it did."""
        now = time.monotonic()
        if not force and now - self._pointer_checked < POINTER_CHECK_SECONDS:
            return False
        self._pointer_checked = now
        name = self.store.current_name()
        current = self._generation
        if name is None or (current is not None and current.name == name):
            return False
        with self._swap_mutex:
            if self._generation is not None and self._generation.name == name:
                return False
            loaded = self.store.load(name)
            if loaded.embedding_model and loaded.embedding_model != self.embedder.name:
                log.warning(
                    "index %s was built with %s, not %s: run ingest to rebuild it",
                    name,
                    loaded.embedding_model,
                    self.embedder.name,
                )
            previous, self._generation = self._generation, loaded
            if previous is not None:
                previous.release()
            log.info("serving index generation %s (%d chunks)", name, len(loaded.chunks))
            return True

    def search(self, query: str, k: int | None = None) -> SearchResult:
        """The best passages for a question, with the relevance signal."""
        return self.search_with_evidence(query, k)[0]

    def search_with_evidence(
        self, query: str, k: int | None = None
    ) -> tuple[SearchResult, Evidence | None]:
        """`search`, with the evidence its relevance was decided from (None: no passage), which
        `diplobot relevance` records to fit the decision for an encoder."""
        try:
            self.refresh()
        except KnowledgeError as error:  # keep serving what is loaded
            log.warning("index pointer check failed: %s", error)
        generation = self._generation
        if generation is None:
            return SearchResult(query=query, passages=[], relevance=0.0), None
        return search_with_evidence(
            generation,
            self.embedder,
            query,
            k or self.settings.top_k,
            self.settings.retriever,
            glossary=self.settings.english_glossary,
            offset=self.settings.crosslingual_offset,
            marks=self.settings.restore_marks,
        )

    # --- changing the knowledge ---------------------------------------------------------------
    def sync(self, progress: Progress | None = None) -> IngestReport:
        """Re-sync the knowledge directory; the old index serves until the new one is ready.

        Raises:
            IngestBusy: another ingest runs (here, or in another process on the same index).
            KnowledgeError: the ingest failed; nothing changed.
        """
        if not self._ingest_mutex.acquire(blocking=False):
            raise IngestBusy("a reload is already running; try again when it is done")
        try:
            with self.store.ingest_lock():
                with contextlib.suppress(KnowledgeError):
                    self.refresh(force=True)  # build on what the pointer names now
                report, name = sync(
                    self.settings, self.store, self._generation, self.embedder, progress
                )
                if name is not None:
                    self.refresh(force=True)
                self.last_report = report
                return report
        finally:
            self._ingest_mutex.release()

    def add_document(self, filename: str, data: bytes) -> IngestReport:
        """Check an uploaded article, save it into the knowledge directory and index it.

        Raises:
            ArticleRejected: wrong type, too big, no extractable text; nothing was saved.
            IngestBusy, KnowledgeError: indexing failed; the file was taken back out.
        """
        name = _safe_filename(filename)
        if len(data) > self.settings.max_upload_bytes:
            limit = self.settings.max_upload_bytes // 1_000_000
            raise ArticleRejected(f"{name}: the file is larger than {limit} MB")
        parse_article(name, data)  # raises ArticleRejected with the reason
        folder = Path(self.settings.knowledge_dir)
        target = folder / name
        previous = target.read_bytes() if target.exists() else None
        if previous == data:
            raise ArticleRejected(f"{name}: this exact file is already in the knowledge base")
        tmp = folder / f".upload-{os.getpid()}-{name}"
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise KnowledgeError(f"{name}: could not be saved ({error.strerror})") from error
        try:
            report = self.sync()
        except BaseException:
            # Take the file back out so that the folder matches the index still serving.
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(previous)
            raise
        failed = report.failed.get(name)
        if failed:
            raise ArticleRejected(f"{name}: {failed}")
        return report

    # --- describing ---------------------------------------------------------------------------
    def sources(self) -> list[SourceSummary]:
        """Indexed articles, newest first."""
        generation = self._generation
        if generation is None:
            return []
        summaries = [
            SourceSummary(meta=ArticleMeta(**entry["meta"]), chunks=len(entry["chunk_ids"]))
            for entry in generation.articles.values()
        ]
        return sorted(summaries, key=lambda s: (s.meta.date, s.meta.doc_id), reverse=True)

    def health(self) -> dict[str, Any]:
        generation = self._generation
        status: dict[str, Any] = {
            "store": self.store.describe(),
            "embedding_model": self.embedder.name,
            "generation": generation.name if generation else None,
            "articles": len(generation.articles) if generation else 0,
            "chunks": len(generation.chunks) if generation else 0,
            "ok": generation is not None,
        }
        if generation is not None:
            try:
                generation.collection.count()
            except Exception as error:  # the server may be down
                status["ok"] = False
                status["error"] = f"vector store unreachable ({error.__class__.__name__})"
        return status

    def close(self) -> None:
        if self._generation is not None:
            self._generation.release()
        self.store.close()


def _safe_filename(filename: str) -> str:
    base = Path(filename or "").name.strip()
    stem, suffix = os.path.splitext(base)
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise ArticleRejected(
            f"{base or 'this file'}: unsupported file type (send one of: {supported})"
        )
    stem = _SAFE_NAME.sub("_", stem).strip("._") or "article"
    return f"{stem[:80]}{suffix}"
