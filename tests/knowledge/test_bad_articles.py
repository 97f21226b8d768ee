"""Articles that are not what the corpus usually holds: another language, only boilerplate,
a very long one. Each gets a clear result in the ingest report and loses nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.embeddings import Embedder
from tests.conftest import make_settings

pytestmark = pytest.mark.integration

FRENCH = (
    "La Commission économique pour l'Afrique tient sa session annuelle\n\n"
    "La Commission économique pour l'Afrique des Nations unies a ouvert sa session annuelle à "
    "Addis-Abeba le 12 mai. Les ministres des finances de cinquante-quatre pays y discutent du "
    "financement du développement durable et de la dette.\n\n"
    "Le secrétaire exécutif a présenté un rapport sur l'intégration commerciale du continent, "
    "qui prévoit une croissance de 4,1 % l'an prochain.\n"
)
BOILERPLATE = (
    "Trang chủ | Thế giới | Kinh tế | Xã hội | Liên hệ\n"
    "Đăng nhập\nĐăng ký\nTin khác\nBình luận (0)\nChia sẻ Facebook\n"
    "© Bản quyền thuộc về báo. Ghi rõ nguồn khi phát hành lại thông tin từ website này.\n"
)


def test_an_article_in_another_language_is_indexed_and_found(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    (folder / "cea_fr.txt").write_text(FRENCH, encoding="utf-8")
    report = kb.sync()
    assert report.added == ["cea_fr"] and not report.failed and len(report.unchanged) == 5
    # The multilingual encoder embeds it like any other: a question in its language finds it,
    # and it does not crowd out the Vietnamese articles for theirs.
    assert kb.search("Où se tient la session annuelle?").passages[0].doc_id == "cea_fr"
    escap = kb.search("ESCAP được thành lập năm nào?").passages
    assert "cea_fr" not in [p.doc_id for p in escap]


def test_a_page_of_only_boilerplate_is_reported_and_changes_nothing(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    before = kb.generation.name
    (folder / "menu_only.html").write_text(
        f"<html><body><nav>{BOILERPLATE}</nav><footer>{BOILERPLATE}</footer></body></html>",
        encoding="utf-8",
    )
    (folder / "menu_only_text.txt").write_text(BOILERPLATE, encoding="utf-8")
    report = kb.sync()
    assert set(report.failed) == {"menu_only.html", "menu_only_text.txt"}
    assert all("no article text" in reason for reason in report.failed.values())
    assert report.added == [] and len(report.unchanged) == 5
    assert kb.generation.name == before  # nothing new was built; the old index serves


def test_a_one_megabyte_article_is_chunked_to_the_encoders_window(
    tmp_path: Path, embedder: Embedder
):
    from knowledge.embeddings import HashingEmbedder

    settings = make_settings(tmp_path)
    paragraph = (
        "Ngày {n}/3, đoàn Việt Nam tham dự phiên họp thứ {n} của Ủy ban về hợp tác Nam - Nam, "
        "thảo luận về tài chính cho phát triển, chuyển giao công nghệ và chia sẻ kinh nghiệm "
        "giữa các nước đang phát triển trong khu vực châu Á - Thái Bình Dương. "
    )
    text = "Một bài rất dài về hợp tác Nam - Nam\n\n" + "\n\n".join(
        paragraph.format(n=n) * 3 for n in range(1, 2400)
    )
    assert len(text.encode("utf-8")) > 1_000_000
    (Path(settings.knowledge_dir) / "very_long.txt").write_text(text, encoding="utf-8")
    # A model-free encoder keeps the test fast; the window is the real encoder's tokenizer's.
    fast = HashingEmbedder(64)
    fast.count_tokens = embedder.count_tokens  # type: ignore[method-assign]
    fast.max_tokens = embedder.max_tokens
    knowledge = KnowledgeBase.open(settings, embedder=fast)
    try:
        report = knowledge.last_report
        assert report is not None and "very_long" in report.added and not report.failed
        chunks = [c for c in knowledge.generation.chunks if c.meta.doc_id == "very_long"]
        assert len(chunks) > 1000
        assert max(embedder.count_tokens(f"{c.meta.title}\n{c.text}") for c in chunks) <= 512
        # Nothing of the article is lost between its chunks.
        assert "phiên họp thứ 2399 " in " ".join(c.text for c in chunks)
    finally:
        knowledge.close()
