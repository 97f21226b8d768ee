"""Articles → clean text → chunks → Chroma and BM25 → hybrid retrieval."""

from knowledge.base import KnowledgeBase
from knowledge.errors import (
    ArticleRejected,
    IndexMismatch,
    IngestBusy,
    KnowledgeError,
    StoreUnavailable,
)
from knowledge.records import (
    Article,
    ArticleMeta,
    Chunk,
    IngestReport,
    Passage,
    SearchResult,
    SourceSummary,
)
from knowledge.settings import KnowledgeSettings

__all__ = [
    "Article",
    "ArticleMeta",
    "ArticleRejected",
    "Chunk",
    "IndexMismatch",
    "IngestBusy",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeSettings",
    "Passage",
    "SearchResult",
    "SourceSummary",
    "StoreUnavailable",
]
