"""Fakes that implement the answerer and knowledge-base interfaces the bot uses.

`FakeKnowledge` holds articles in memory and validates uploads like the real one (type,
extractable text); `FakeAnswerer` answers from it by word overlap, cites what it used, can
stream its answer word by word, and can be told to return a scripted text or to fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.answers import Answer, Citation, Turn
from knowledge.errors import ArticleRejected, IngestBusy
from knowledge.records import ArticleMeta, IngestReport, SourceSummary

FAKE_ARTICLES = {
    "asean": (
        "Việt Nam và ASEAN",
        "Việt Nam đóng góp tích cực cho ASEAN, chủ trì nhiều sáng kiến về kết nối khu vực "
        "và an ninh biển năm 2024.",
    ),
    "un": (
        "Việt Nam tại Liên Hợp Quốc",
        "Việt Nam đã cử hơn 800 lượt chuyên gia tham gia lực lượng gìn giữ hòa bình "
        "của Liên Hợp Quốc.",
    ),
}


@dataclass
class FakeBackend:
    name: str = "fake"

    def health(self) -> dict[str, Any]:
        return {"backend": self.name, "ok": True}


class FakeKnowledge:
    """In-memory articles; `sync` can be held open with `hold_sync` to test concurrency."""

    def __init__(self, articles: dict[str, tuple[str, str]] | None = None) -> None:
        self.articles = dict(articles or FAKE_ARTICLES)
        self.pending: dict[str, tuple[str, str]] = {}  # appear at the next sync
        self.hold_sync = threading.Event()
        self.hold_sync.set()
        self.sync_started = threading.Event()
        self._busy = threading.Lock()
        self.syncs = 0

    def meta(self, doc_id: str) -> ArticleMeta:
        title, _ = self.articles[doc_id]
        return ArticleMeta(doc_id=doc_id, title=title, outlet="Báo Test", date="2024-05-01")

    def sync(self, progress: Any = None) -> IngestReport:
        if not self._busy.acquire(blocking=False):
            raise IngestBusy("a reload is already running; try again when it is done")
        try:
            self.sync_started.set()
            self.hold_sync.wait(10)
            started = time.perf_counter()
            added = sorted(set(self.pending) - set(self.articles))
            updated = sorted(set(self.pending) & set(self.articles))
            unchanged = sorted(set(self.articles) - set(self.pending))
            self.articles.update(self.pending)
            self.pending.clear()
            self.syncs += 1
            return IngestReport(
                added=added,
                updated=updated,
                unchanged=unchanged,
                chunks=len(self.articles),
                seconds=time.perf_counter() - started,
            )
        finally:
            self._busy.release()

    def add_document(self, filename: str, data: bytes) -> IngestReport:
        stem, _, suffix = filename.rpartition(".")
        if suffix.lower() not in {"txt", "md", "html", "pdf"}:
            raise ArticleRejected(f"{filename}: unsupported file type")
        if suffix.lower() == "pdf" and not data.startswith(b"%PDF-"):
            raise ArticleRejected(f"{filename}: not a readable PDF")
        try:
            text = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ArticleRejected(f"{filename}: no extractable text") from None
        if not text:
            raise ArticleRejected(f"{filename}: no extractable text")
        title, _, body = text.partition("\n")
        self.pending[stem] = (title.strip(), body.strip() or title.strip())
        return self.sync()

    def sources(self) -> list[SourceSummary]:
        return [SourceSummary(meta=self.meta(doc_id), chunks=1) for doc_id in self.articles]

    def health(self) -> dict[str, Any]:
        return {"articles": len(self.articles), "ok": True}

    def search(self, question: str) -> list[str]:
        words = {w.lower().strip("?.,") for w in question.split() if len(w) > 2}
        scored = []
        for doc_id, (title, body) in self.articles.items():
            overlap = len(words & {w.lower().strip("?.,") for w in f"{title} {body}".split()})
            if overlap >= 2:
                scored.append((overlap, doc_id))
        return [doc_id for _, doc_id in sorted(scored, reverse=True)]


class FakeAnswerer:
    """Answers from `FakeKnowledge`, citing what it used; synchronous like the real one.

    Attributes:
        script: when set, `script(question)` gives the answer text (with citations kept).
        stream_delay: seconds between streamed words; 0 means no streaming.
        fail_with: raise this from `answer`.
    """

    def __init__(self, knowledge: FakeKnowledge) -> None:
        self.knowledge = knowledge
        self.backend = FakeBackend()
        self.script: Callable[[str], str] | None = None
        self.stream_delay = 0.0
        self.delay = 0.0
        self.fail_with: Exception | None = None
        self.calls: list[tuple[str, tuple[Turn, ...]]] = []
        self._lock = threading.Lock()

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        with self._lock:
            self.calls.append((question, tuple(history)))
        if self.fail_with is not None:
            raise self.fail_with
        if self.delay:
            time.sleep(self.delay)
        search_text = " ".join([t.question for t in history] + [question])
        doc_ids = self.knowledge.search(search_text)[:2]
        citations = [
            Citation(
                n=i,
                doc_id=doc_id,
                title=self.knowledge.articles[doc_id][0],
                source="Báo Test",
                date="2024-05-01",
                url=f"https://example.vn/{doc_id}?a=1&b=2",
                passage=self.knowledge.articles[doc_id][1],
            )
            for i, doc_id in enumerate(doc_ids, 1)
        ]
        if self.script is not None:
            text = self.script(question)
        elif citations:
            text = " ".join(f"{c.passage} [{c.n}]" for c in citations)
        else:
            text = "Xin lỗi, các bài báo không có thông tin này. · Not in the sources."
        if on_token is not None and self.stream_delay:
            for word in text.split(" "):
                on_token(word + " ")
                time.sleep(self.stream_delay)
        return Answer(
            question=question,
            text=text,
            answered=bool(citations),
            citations=citations if citations else [],
            backend=self.backend.name,
            timings_ms={"total": 5.0},
        )
