"""Marks put back into Vietnamese typed without them, from the corpus's own spellings."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.diacritics import MarkRestorer
from knowledge.language import lacks_marks
from knowledge.retrieval import search_with_evidence
from tests.conftest import SEEDS
from tests.knowledge.conftest import assert_switch_changes_nothing


@pytest.fixture(scope="module")
def seeds_restorer() -> MarkRestorer:
    return MarkRestorer.of_chunks([p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*"))])


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        (
            "Hoi nghi Cao cap Lien hop quoc lan thu 2 ve hop tac Nam - Nam co bao nhieu doan dai "
            "bieu tham du?",
            "Hội nghị Cao cấp Liên hợp quốc lần thứ 2 về hợp tác Nam - Nam có bao nhiêu đoàn đại "
            "biểu tham dự?",
        ),
        # "nam" is "Nam" (South) in most of the corpus; "sinh … nào" makes it "năm" (year).
        ("Bo truong Bui Thanh Son sinh nam nao?", "Bộ trưởng Bùi Thanh Sơn sinh năm nào?"),
        ("ESCAP duoc thanh lap nam nao?", "ESCAP được thành lập năm nào?"),
        ("Ai dan dau doan Viet Nam?", "Ai dẫn đầu đoàn Việt Nam?"),
    ],
)
def test_marks_are_restored_as_the_corpus_spells_them(
    seeds_restorer: MarkRestorer, typed: str, restored: str
):
    assert seeds_restorer.restore(typed) == restored


def test_case_punctuation_and_unknown_or_marked_words_are_kept():
    restorer = MarkRestorer(["Đội tuyển Việt Nam thắng đậm.", "Đội bóng đá nữ."])
    assert restorer.restore("DOI tuyen Viet Nam, 2024!") == "ĐỘI tuyển Việt Nam, 2024!"
    # A syllable the corpus never spells stays as typed; one typed with marks is left alone.
    assert restorer.restore("Doi Zorblax dam") == "Đội Zorblax đậm"
    assert restorer.restore("Đoi tuyen") == "Đoi tuyển"
    assert restorer.restore("") == "" and restorer.restore("?!") == "?!"
    assert MarkRestorer([]).restore("Doi tuyen") == "Doi tuyen"


def test_a_large_corpus_is_counted_over_evenly_spaced_chunks():
    chunks = [f"đội số {n}" if n % 2 == 0 else f"đồi số {n}" for n in range(100)]
    whole = MarkRestorer.of_chunks(chunks)
    sampled = MarkRestorer.of_chunks(chunks, max_chars=len("".join(chunks)) // 2 + 1)
    assert whole.unigrams["đội"] == 50 and whole.unigrams["đồi"] == 50
    # Every second chunk: only the even ones ("đội"), half of the characters.
    assert sampled.unigrams["đội"] == 50 and sampled.unigrams["đồi"] == 0


@pytest.mark.parametrize(
    ("question", "lacking"),
    [
        ("Ai dan dau doan Viet Nam?", True),
        ("ESCAP duoc thanh lap nam nao?", True),
        ("Ai dẫn đầu đoàn Việt Nam?", False),
        ("Ai dan dau đoan Viet Nam?", False),  # one mark typed: left as typed
        ("Ai dẫn đầu ĐOÀN?", False),
        ("Quelle équipe?", False),
    ],
)
def test_which_questions_lack_marks(question: str, lacking: bool):
    assert lacks_marks(question) is lacking


@pytest.mark.integration
def test_an_unmarked_question_is_judged_as_the_marked_one(seed_kb: KnowledgeBase):
    generation, embedder = seed_kb.generation, seed_kb.embedder
    typed = (
        "Hoi nghi Cao cap Lien hop quoc lan thu 2 ve hop tac Nam - Nam co bao nhieu doan dai "
        "bieu tham du?"
    )
    marked = (
        "Hội nghị Cao cấp Liên hợp quốc lần thứ 2 về hợp tác Nam - Nam có bao nhiêu đoàn đại "
        "biểu tham dự?"
    )
    restored, restored_evidence = search_with_evidence(generation, embedder, typed, 5)
    plain, plain_evidence = search_with_evidence(generation, embedder, typed, 5, marks=False)
    clean, clean_evidence = search_with_evidence(generation, embedder, marked, 5)
    assert restored_evidence is not None and clean_evidence is not None
    assert plain_evidence is not None
    assert restored_evidence.best_similarity == pytest.approx(clean_evidence.best_similarity)
    assert restored.passages[0].chunk.chunk_id == clean.passages[0].chunk.chunk_id
    # Unmarked, the encoder reads it poorly (0.84 against 0.90) and the bot declined it.
    assert plain_evidence.best_similarity < clean_evidence.best_similarity - 0.03
    threshold = seed_kb.settings.relevance_threshold
    assert plain.relevance < threshold <= restored.relevance
    assert restored.query == typed  # the answer is about what was asked, as asked


@pytest.mark.integration
def test_only_vietnamese_is_restored(seed_kb: KnowledgeBase):
    """An English question has no marks either; its words must not be read as Vietnamese."""
    question = "Who led the Vietnamese delegation to the South-South conference?"
    assert_switch_changes_nothing(seed_kb, question, marks=False)
