"""Fakes for the answer layer's tests: passages and a knowledge base that returns them."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.records import ArticleMeta, Chunk, Passage, SearchResult

ESCAP_TEXT = (
    "Thành lập từ năm 1947, ESCAP là một trong 5 Ủy ban khu vực trực thuộc Hội đồng Kinh tế và "
    "Xã hội Liên hợp quốc (ECOSOC). Hiện ESCAP có 53 thành viên chính thức và 9 thành viên liên "
    "kết. Bộ trưởng Ngoại giao Bùi Thanh Sơn cho biết, năm 2022 đánh dấu 75 năm thành lập ESCAP."
)
UNOSSC_TEXT = (
    "Giám đốc UNOSSC (Văn phòng Liên hợp quốc về hợp tác Nam-Nam) Dima Al-Khatib nhấn mạnh vai "
    "trò chia sẻ kiến thức. Nền tảng chia sẻ kiến thức South-South Galaxy mới được cải tiến của "
    "UNOSSC cung cấp hơn 950 giải pháp cụ thể cho các ưu tiên của Nhóm Nam bán cầu."
)


def make_passage(
    text: str,
    doc_id: str = "002_escap",
    title: str = "ESCAP",
    relevance: float = 0.8,
    position: int = 0,
    url: str = "",
    sentence_scores: tuple[float, ...] = (),
) -> Passage:
    meta = ArticleMeta(doc_id=doc_id, title=title, outlet="Báo Quốc tế", date="2021-08-13", url=url)
    chunk = Chunk(f"{doc_id}:{position}", meta, position, text, "hash")
    score = 1.0 / (60 + position)
    return Passage(chunk, score, relevance, sentence_scores=sentence_scores)


class FakeKnowledge:
    """A knowledge base that returns fixed passages (or passages chosen by a word)."""

    def __init__(self, passages: Sequence[Passage], relevance: float = 0.8) -> None:
        self.passages = list(passages)
        self.relevance = relevance
        self.queries: list[str] = []

    def search(self, query: str, k: int | None = None) -> SearchResult:
        self.queries.append(query)
        return SearchResult(query, self.passages[: k or 5], self.relevance)
