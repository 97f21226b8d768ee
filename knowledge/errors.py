"""Errors of the knowledge layer; each message is fit to show a user or an admin."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class: something the knowledge base could not do; the old index keeps serving."""


class ArticleRejected(KnowledgeError):
    """An article file that cannot become knowledge (type, size, no extractable text)."""


class IngestBusy(KnowledgeError):
    """Another ingest is running in this process or holds the store's lock."""


class StoreUnavailable(KnowledgeError):
    """The vector store cannot be reached or read (Chroma server down, unreadable folder)."""


class IndexMismatch(KnowledgeError):
    """The index was built with another embedding model than the one configured."""
