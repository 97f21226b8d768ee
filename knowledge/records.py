"""The records that flow down the stream: article → chunk → retrieved passage → search result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ArticleMeta:
    """What is known about an article; `doc_id` is its file's stem."""

    doc_id: str
    title: str
    outlet: str = ""
    author: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD) when known
    url: str = ""  # only from metadata, never invented
    source_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Article:
    """Clean body text of one article and its metadata."""

    meta: ArticleMeta
    text: str
    content_hash: str  # hash of the raw file bytes and its sidecar: what decides re-indexing


@dataclass(frozen=True)
class Chunk:
    """A passage of an article, with its position (0-based) among the article's chunks."""

    chunk_id: str
    meta: ArticleMeta
    position: int
    text: str
    content_hash: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores.

    `score` is the fused rank score (reciprocal rank fusion); `relevance` (0..1) estimates how
    well this passage covers the question and is what the answer layer compares to a threshold.
    """

    chunk: Chunk
    score: float
    relevance: float
    dense_score: float | None = None
    lexical_score: float | None = None
    # Similarity of each sentence (`knowledge.sentences.chunk_sentences`) to the question;
    # empty where the index has no sentence vectors.
    sentence_scores: tuple[float, ...] = ()
    # The corpus's Vietnamese terms nearest the question by the encoder (`knowledge.terms`),
    # folded, for the answer layer's word matching; the same on every passage of a result.
    corpus_terms: tuple[str, ...] = ()

    @property
    def doc_id(self) -> str:
        return self.chunk.meta.doc_id

    @property
    def text(self) -> str:
        return self.chunk.text


@dataclass(frozen=True)
class SearchResult:
    """Passages in rank order and the question-level relevance signal."""

    query: str
    passages: list[Passage]
    relevance: float
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSummary:
    """One indexed article, for `/sources`."""

    meta: ArticleMeta
    chunks: int


@dataclass
class IngestReport:
    """What an ingest changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc file → why it was skipped
    chunks: int = 0  # chunks in the new index
    embedded: int = 0  # chunks embedded by this run
    seconds: float = 0.0
    generation: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        text = (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}; {self.chunks} chunks "
            f"({self.embedded} embedded) in {self.seconds:.1f} s"
        )
        if self.failed:
            text += f"; {len(self.failed)} skipped: " + ", ".join(
                f"{name} ({why})" for name, why in self.failed.items()
            )
        return text
