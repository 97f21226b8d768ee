"""Index generations: where the vectors, chunks and lexical index of one build live.

A generation is built beside the one serving and switched in by replacing a pointer, so a
failed or killed ingest never leaves a half-built index in use, and queries never see one:
- locally, `CHROMA_PATH/generations/<name>/` holds `chroma/` (an embedded Chroma store),
  `chunks.jsonl`, `vectors.npy` (for incremental rebuilds), the sentence vectors
  (`sentence_vectors.npy`, `sentence_offsets.npy`), `lexical/` and `manifest.json`;
  `READY` is written last, and `CHROMA_PATH/CURRENT` names the generation in use
  (written with `os.replace`, which is atomic);
- with a Chroma server (`chroma run`), vectors live in the collection `<prefix>-<name>` and the
  pointer is the metadata of the collection `<prefix>-pointer`, so that several bot replicas
  follow the same knowledge; each replica keeps its chunk and lexical files in `CHROMA_PATH`.

Each process serving a generation holds a shared lock on its `serving.lock`; old generations
are removed only when no process holds it (the lock dies with its process).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.diacritics import MarkRestorer
from knowledge.errors import IngestBusy, KnowledgeError, StoreUnavailable
from knowledge.lexical import LexicalIndex
from knowledge.manifest import build_manifest, cut_by_current_rules
from knowledge.records import ArticleMeta, Chunk
from knowledge.sentences import SentenceIndex
from knowledge.settings import KnowledgeSettings
from knowledge.terms import TermIndex

log = logging.getLogger(__name__)

POINTER_FILE = "CURRENT"
READY_FILE = "READY"
KEEP_GENERATIONS = 2  # the one serving and the one before it, for rollback


def new_generation_name() -> str:
    return time.strftime("g%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


@dataclass
class Generation:
    """A built, immutable index generation, loaded for serving."""

    name: str
    folder: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    lexical: LexicalIndex
    collection: Any  # chromadb Collection
    row_of: dict[str, int] = field(default_factory=dict)
    # None for a replica that rebuilt its files from a Chroma server: chunk vectors only.
    sentences: SentenceIndex | None = None
    # The corpus's Vietnamese terms, embedded (`knowledge.terms`); None where built before them.
    terms: TermIndex | None = None
    _lock_file: Any = None
    _marks: MarkRestorer | None = None
    _marks_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def embedding_model(self) -> str:
        return str(self.manifest.get("embedding_model", ""))

    @property
    def articles(self) -> dict[str, dict[str, Any]]:
        return dict(self.manifest.get("articles", {}))

    def marks(self) -> MarkRestorer:
        """The corpus's spellings, for questions typed without marks; counted on first use."""
        with self._marks_lock:
            if self._marks is None:
                self._marks = MarkRestorer.of_chunks([chunk.text for chunk in self.chunks])
            return self._marks

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class GenerationStore:
    """Creates, reads, switches and removes generations, locally or on a Chroma server."""

    def __init__(self, settings: KnowledgeSettings) -> None:
        self.root = Path(settings.chroma_path)
        self.host = settings.chroma_host
        self.port = settings.chroma_port
        self.prefix = settings.collection_prefix
        self._http_client: Any = None
        self._local_clients: dict[str, Any] = {}

    # --- where things are --------------------------------------------------------------------
    @property
    def server_mode(self) -> bool:
        return bool(self.host)

    def folder(self, name: str) -> Path:
        return self.root / "generations" / name

    def describe(self) -> str:
        return f"chroma server {self.host}:{self.port}" if self.server_mode else f"{self.root}"

    def _ensure_root(self) -> None:
        try:
            (self.root / "generations").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                f"the index folder {self.root} cannot be created ({error.strerror})"
            ) from error

    # --- Chroma ------------------------------------------------------------------------------
    def _server(self) -> Any:
        import chromadb

        if self._http_client is None:
            try:
                self._http_client = chromadb.HttpClient(
                    host=str(self.host), port=self.port, settings=_chroma_settings()
                )
            except Exception as error:  # chromadb raises plain exceptions for connection errors
                raise StoreUnavailable(
                    f"the Chroma server at {self.host}:{self.port} is unreachable"
                ) from error
        return self._http_client

    def _client_for(self, name: str) -> Any:
        if self.server_mode:
            return self._server()
        import chromadb

        if name not in self._local_clients:
            path = self.folder(name) / "chroma"
            self._local_clients[name] = chromadb.PersistentClient(
                path=str(path), settings=_chroma_settings()
            )
        return self._local_clients[name]

    def collection_name(self, name: str) -> str:
        return f"{self.prefix}-{name}" if self.server_mode else self.prefix

    def create_collection(self, name: str, model: str) -> Any:
        try:
            return self._client_for(name).create_collection(
                self.collection_name(name),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": model, "generation": name},
                embedding_function=None,
            )
        except Exception as error:
            raise _store_error(error, self) from error

    def add_sentence_vectors(
        self, name: str, chunk_ids: list[str], sentences: SentenceIndex, batch: int = 250
    ) -> None:
        """On a Chroma server, keep the sentence vectors beside the chunks' collection, so that
        a replica rebuilding its files from the server scores by sentence as the builder does.
        (Locally they are files of the generation: nothing to do.)"""
        if not self.server_mode:
            return
        ids: list[str] = []
        rows: list[int] = []
        for row, chunk_id in enumerate(chunk_ids):
            count = int(sentences.offsets[row + 1] - sentences.offsets[row])
            ids.extend(f"{chunk_id}#{index:04d}" for index in range(count))
            rows.extend(range(int(sentences.offsets[row]), int(sentences.offsets[row + 1])))
        try:
            collection = self._server().create_collection(
                self._sentence_collection(name),
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            for start in range(0, len(ids), batch):
                picked = rows[start : start + batch]
                collection.add(
                    ids=ids[start : start + batch],
                    embeddings=np.asarray(sentences.vectors[picked], dtype=np.float32),
                )
        except Exception as error:
            raise _store_error(error, self) from error

    def add_terms(self, name: str, terms: TermIndex, batch: int = 250) -> None:
        """On a Chroma server, keep the embedded terms beside the chunks' collection (as the
        sentence vectors), so that a replica rebuilding its files matches questions' words as
        the builder does."""
        if not self.server_mode or not terms.terms:
            return
        try:
            collection = self._server().create_collection(
                self._terms_collection(name), embedding_function=None
            )
            for start in range(0, len(terms.terms), batch):
                collection.add(
                    ids=[
                        f"t{row:06d}" for row in range(start, min(start + batch, len(terms.terms)))
                    ],
                    documents=list(terms.terms[start : start + batch]),
                    embeddings=np.asarray(terms.vectors[start : start + batch], np.float32),
                )
        except Exception as error:
            raise _store_error(error, self) from error

    def _server_terms(self, name: str, dimension: int) -> TermIndex | None:
        """A server generation's embedded terms, in their order; None if it has none."""
        try:
            collection = self._server().get_collection(
                self._terms_collection(name), embedding_function=None
            )
        except Exception:  # built before terms, or by another version
            return None
        rows: list[tuple[str, str, Any]] = []
        page = 1000
        for offset in range(0, collection.count(), page):
            batch = collection.get(offset=offset, limit=page, include=["documents", "embeddings"])
            rows += zip(batch["ids"], batch["documents"], batch["embeddings"], strict=True)
        rows.sort(key=lambda row: row[0])
        vectors = np.asarray([row[2] for row in rows], np.float32).reshape(len(rows), dimension)
        return TermIndex(tuple(str(row[1]) for row in rows), vectors)

    def _sentence_collection(self, name: str) -> str:
        return f"{self.collection_name(name)}-sentences"

    def _terms_collection(self, name: str) -> str:
        return f"{self.collection_name(name)}-terms"

    def _delete_server_collections(self, name: str) -> None:
        for collection in (
            self.collection_name(name),
            self._sentence_collection(name),
            self._terms_collection(name),
        ):
            with contextlib.suppress(Exception):
                self._server().delete_collection(collection)

    def open_collection(self, name: str) -> Any:
        try:
            return self._client_for(name).get_collection(
                self.collection_name(name), embedding_function=None
            )
        except Exception as error:
            raise _store_error(error, self) from error

    # --- the pointer -------------------------------------------------------------------------
    def current_name(self) -> str | None:
        """The generation in use, or None before the first ingest."""
        if self.server_mode:
            try:
                pointer = self._server().get_or_create_collection(f"{self.prefix}-pointer")
                return (pointer.metadata or {}).get("current") or None
            except Exception as error:
                raise _store_error(error, self) from error
        try:
            return (self.root / POINTER_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreUnavailable(
                f"the index pointer cannot be read ({error.strerror})"
            ) from error

    def switch_to(self, name: str) -> None:
        """Make `name` the generation in use, atomically."""
        if self.server_mode:
            try:
                pointer = self._server().get_or_create_collection(f"{self.prefix}-pointer")
                pointer.modify(metadata={"current": name, "switched_at": time.time()})
            except Exception as error:
                raise _store_error(error, self) from error
        tmp = self.root / f".{POINTER_FILE}.{os.getpid()}"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(name)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.root / POINTER_FILE)
        except OSError:
            tmp.unlink(missing_ok=True)  # e.g. a full disk: the old pointer is untouched
            raise
        _fsync_dir(self.root)

    # --- writing a generation ----------------------------------------------------------------
    def begin(self) -> str:
        self._ensure_root()
        name = new_generation_name()
        self.folder(name).mkdir(parents=True)
        return name

    def write_files(
        self,
        name: str,
        manifest: dict[str, Any],
        chunks: list[Chunk],
        vectors: np.ndarray,
        lexical: LexicalIndex,
        sentences: SentenceIndex | None = None,
        terms: TermIndex | None = None,
    ) -> None:
        """Write a generation's files and mark it READY (last, after an fsync)."""
        folder = self.folder(name)
        with open(folder / "chunks.jsonl", "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(_chunk_row(chunk), ensure_ascii=False) + "\n")
        np.save(folder / "vectors.npy", vectors.astype(np.float32, copy=False))
        if sentences is not None:
            np.save(folder / "sentence_vectors.npy", sentences.vectors.astype(np.float16))
            np.save(folder / "sentence_offsets.npy", sentences.offsets.astype(np.int64))
        if terms is not None:
            (folder / "terms.json").write_text(
                json.dumps(list(terms.terms), ensure_ascii=False), encoding="utf-8"
            )
            np.save(folder / "term_vectors.npy", terms.vectors.astype(np.float16))
        lexical.save(folder / "lexical")
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        for path in folder.rglob("*"):
            if path.is_file():
                _fsync_file(path)
        (folder / READY_FILE).write_text(name, encoding="utf-8")
        _fsync_file(folder / READY_FILE)
        _fsync_dir(folder)

    def discard(self, name: str) -> None:
        """Remove a generation that failed to build (its files and its server collection)."""
        self._close_local(name)
        if self.server_mode:
            self._delete_server_collections(name)
        shutil.rmtree(self.folder(name), ignore_errors=True)

    # --- reading a generation ----------------------------------------------------------------
    def is_ready(self, name: str) -> bool:
        return (self.folder(name) / READY_FILE).exists()

    def load(self, name: str) -> Generation:
        """Open a READY generation for serving (and take its shared serving lock)."""
        folder = self.folder(name)
        if not self.is_ready(name):
            if self.server_mode:
                self._materialize(name)
            else:
                raise KnowledgeError(f"index generation {name} is incomplete; run ingest again")
        lock_file = open(folder / "serving.lock", "a+")  # noqa: SIM115 - held while serving
        fcntl.flock(lock_file, fcntl.LOCK_SH)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if not cut_by_current_rules(manifest):
                log.warning(
                    "index generation %s was cut into sentences by older rules: answers may quote"
                    " the wrong sentence until `diplobot ingest` rebuilds it",
                    name,
                )
            metas = {
                doc_id: ArticleMeta(**entry["meta"])
                for doc_id, entry in manifest.get("articles", {}).items()
            }
            chunks = [_chunk_from_row(json.loads(line), metas) for line in _lines(folder)]
            lexical = LexicalIndex.load(folder / "lexical")
            sentences = self.sentences(name)
            if sentences is not None and len(sentences.offsets) != len(chunks) + 1:
                raise ValueError("sentence offsets do not match the chunks")
            terms = self.terms(name)
            collection = self.open_collection(name)
        except KnowledgeError:
            lock_file.close()
            raise
        except (OSError, ValueError, KeyError) as error:
            lock_file.close()
            raise KnowledgeError(f"index generation {name} cannot be read: {error}") from error
        return Generation(
            name=name,
            folder=folder,
            manifest=manifest,
            chunks=chunks,
            lexical=lexical,
            collection=collection,
            row_of={chunk.chunk_id: row for row, chunk in enumerate(chunks)},
            sentences=sentences,
            terms=terms,
            _lock_file=lock_file,
        )

    def vectors(self, name: str) -> np.ndarray:
        """A generation's vectors, row-aligned with its chunks (memory-mapped)."""
        return np.load(self.folder(name) / "vectors.npy", mmap_mode="r")

    def sentences(self, name: str) -> SentenceIndex | None:
        """A generation's sentence vectors (memory-mapped), or None where it has none."""
        folder = self.folder(name)
        if not (folder / "sentence_offsets.npy").exists():
            return None
        return SentenceIndex(
            np.load(folder / "sentence_vectors.npy", mmap_mode="r"),
            np.load(folder / "sentence_offsets.npy"),
        )

    def terms(self, name: str) -> TermIndex | None:
        """A generation's embedded terms, or None where it has none."""
        folder = self.folder(name)
        if not (folder / "term_vectors.npy").exists():
            return None
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "term_vectors.npy").astype(np.float32)
        if len(terms) != len(vectors):
            raise ValueError("term vectors do not match the terms")
        return TermIndex(tuple(terms), vectors)

    def _materialize(self, name: str) -> None:
        """Rebuild a replica's local files of a server generation from its collection."""
        collection = self.open_collection(name)
        total = collection.count()
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        embeddings: list[Any] = []
        page = 1000
        for offset in range(0, total, page):
            batch = collection.get(
                offset=offset, limit=page, include=["documents", "metadatas", "embeddings"]
            )
            ids += batch["ids"]
            documents += batch["documents"]
            metadatas += batch["metadatas"]
            embeddings += list(batch["embeddings"])
        order = sorted(range(len(ids)), key=lambda i: ids[i])
        chunks = [_chunk_from_meta(ids[i], documents[i], metadatas[i]) for i in order]
        vectors = np.asarray([embeddings[i] for i in order], dtype=np.float32)
        model = str((collection.metadata or {}).get("embedding_model", ""))
        folder = self.folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        self.write_files(
            name,
            build_manifest(name, model, vectors.shape[1] if len(vectors) else 0, chunks),
            chunks,
            vectors,
            LexicalIndex.build([c.text for c in chunks]),
            self._server_sentences(name, [c.chunk_id for c in chunks], vectors.shape[1]),
            self._server_terms(name, vectors.shape[1]),
        )

    def _server_sentences(
        self, name: str, chunk_ids: list[str], dimension: int
    ) -> SentenceIndex | None:
        """A server generation's sentence vectors in chunk order; None if it has none."""
        try:
            collection = self._server().get_collection(
                self._sentence_collection(name), embedding_function=None
            )
        except Exception:  # built before sentence vectors, or by another version
            return None
        by_chunk: dict[str, list[tuple[str, Any]]] = {}
        page = 1000
        for offset in range(0, collection.count(), page):
            batch = collection.get(offset=offset, limit=page, include=["embeddings"])
            for sentence_id, vector in zip(batch["ids"], batch["embeddings"], strict=True):
                chunk_id, _, index = sentence_id.rpartition("#")
                by_chunk.setdefault(chunk_id, []).append((index, vector))
        rows: list[Any] = []
        offsets = [0]
        for chunk_id in chunk_ids:
            rows.extend(vector for _, vector in sorted(by_chunk.get(chunk_id, [])))
            offsets.append(len(rows))
        vectors = np.asarray(rows, dtype=np.float16).reshape(len(rows), dimension)
        return SentenceIndex(vectors, np.asarray(offsets, np.int64))

    # --- locks and clean-up ------------------------------------------------------------------
    @contextlib.contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """One ingest at a time per index folder, across processes."""
        self._ensure_root()
        with open(self.root / "ingest.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise IngestBusy(
                    "another ingest is already running on this index; try again when it is done"
                ) from error
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def collect_garbage(self, keep: list[str]) -> list[str]:
        """Remove generations not in `keep` that no process serves; call under the ingest lock."""
        removed: list[str] = []
        base = self.root / "generations"
        if not base.exists():
            return removed
        for folder in sorted(base.iterdir()):
            if folder.name in keep or not folder.is_dir():
                continue
            lock_path = folder / "serving.lock"
            with open(lock_path, "a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a process still serves it
                self._close_local(folder.name)
                if self.server_mode:
                    self._delete_server_collections(folder.name)
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed

    def _close_local(self, name: str) -> None:
        client = self._local_clients.pop(name, None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.clear_system_cache()

    def close(self) -> None:
        for name in list(self._local_clients):
            self._close_local(name)


def _store_error(error: Exception, store: GenerationStore) -> KnowledgeError:
    if isinstance(error, KnowledgeError):
        return error
    text = str(error)
    if store.server_mode and any(
        word in text.lower() for word in ("connect", "refused", "timed out", "unreachable")
    ):
        return StoreUnavailable(f"the Chroma server at {store.host}:{store.port} is unreachable")
    return StoreUnavailable(f"the vector store failed: {error.__class__.__name__}: {text[:200]}")


def _chunk_row(chunk: Chunk) -> dict[str, Any]:
    return {
        "id": chunk.chunk_id,
        "doc_id": chunk.meta.doc_id,
        "position": chunk.position,
        "text": chunk.text,
        "hash": chunk.content_hash,
    }


def _chunk_from_row(row: dict[str, Any], metas: dict[str, ArticleMeta]) -> Chunk:
    return Chunk(
        chunk_id=row["id"],
        meta=metas[row["doc_id"]],
        position=int(row["position"]),
        text=row["text"],
        content_hash=row["hash"],
    )


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """What Chroma stores beside a vector: enough to rebuild the chunk on another replica."""
    meta = chunk.meta
    return {
        "doc_id": meta.doc_id,
        "position": chunk.position,
        "title": meta.title,
        "outlet": meta.outlet,
        "author": meta.author,
        "date": meta.date,
        "url": meta.url,
        "source_file": meta.source_file,
        "content_hash": chunk.content_hash,
    }


def _chunk_from_meta(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    article = ArticleMeta(
        doc_id=str(meta["doc_id"]),
        title=str(meta.get("title", "")),
        outlet=str(meta.get("outlet", "")),
        author=str(meta.get("author", "")),
        date=str(meta.get("date", "")),
        url=str(meta.get("url", "")),
        source_file=str(meta.get("source_file", "")),
    )
    return Chunk(
        chunk_id=chunk_id,
        meta=article,
        position=int(meta.get("position", 0)),
        text=text,
        content_hash=str(meta.get("content_hash", "")),
    )


def _lines(folder: Path) -> Iterator[str]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
