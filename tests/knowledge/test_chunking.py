import itertools

from knowledge.articles import load_article
from knowledge.chunking import chunk_article, chunk_id, split_sentences
from knowledge.records import Article, ArticleMeta
from tests.conftest import SEEDS


def article(text: str) -> Article:
    return Article(meta=ArticleMeta(doc_id="a1", title="T"), text=text, content_hash="h")


def test_sentences_split_after_marks_but_not_after_abbreviations():
    text = (
        "Ông A đến TP. Hồ Chí Minh ngày 3/5. Sau đó, ông về Hà Nội! Có 1.000 người dự. "
        "“Đây là dịp tốt” ông nói."
    )
    assert split_sentences(text) == [
        "Ông A đến TP. Hồ Chí Minh ngày 3/5.",
        "Sau đó, ông về Hà Nội!",
        "Có 1.000 người dự.",
        "“Đây là dịp tốt” ông nói.",
    ]


def test_a_names_initial_does_not_end_a_sentence():
    text = "Mote là Frederick W. Mote. Ông Rajendra K. Pachauri được bầu năm 2002."
    assert split_sentences(text) == [
        "Mote là Frederick W. Mote.",
        "Ông Rajendra K. Pachauri được bầu năm 2002.",
    ]


def test_short_paragraphs_stay_whole_and_keep_position_and_metadata():
    chunks = chunk_article(article("Câu một đây.\n\nCâu hai đây."), size=700)
    assert [c.text for c in chunks] == ["Câu một đây.\n\nCâu hai đây."]
    assert chunks[0].position == 0 and chunks[0].meta.doc_id == "a1"


def test_long_text_splits_between_sentences_with_one_sentence_of_overlap():
    sentences = [f"Đây là câu số {i} của bài viết về hợp tác Nam - Nam." for i in range(40)]
    chunks = chunk_article(article(" ".join(sentences)), size=300, overlap=1)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".")  # never cut inside a sentence
    for before, after in itertools.pairwise(chunks):
        last_sentence = split_sentences(before.text)[-1]
        assert after.text.startswith(last_sentence)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_chunk_ids_are_deterministic_and_change_with_the_text():
    assert chunk_id("a1", 0, "x") == chunk_id("a1", 0, "x")
    assert chunk_id("a1", 0, "x") != chunk_id("a1", 0, "y")
    first = chunk_article(article("Một câu văn đủ dài để làm nội dung."), size=700)
    again = chunk_article(article("Một câu văn đủ dài để làm nội dung."), size=700)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]


def _word_count(text: str) -> int:
    return len(text.split())


def test_chunks_are_cut_to_the_encoders_token_window():
    sentences = [f"Đây là câu số {i} của bài viết về hợp tác Nam - Nam." for i in range(12)]
    chunks = chunk_article(
        article(" ".join(sentences)), size=2000, count_tokens=_word_count, max_tokens=40
    )
    assert len(chunks) > 1
    for chunk in chunks:
        assert _word_count(f"T\n{chunk.text}") <= 40  # the title is embedded with the chunk
        assert chunk.text.endswith(".")  # cut between sentences
    assert " ".join(c.text for c in chunks) == " ".join(sentences)


def test_one_sentence_longer_than_the_window_is_cut_between_words():
    sentence = " ".join(f"từ{i}" for i in range(100)) + "."
    chunks = chunk_article(article(sentence), size=5000, count_tokens=_word_count, max_tokens=30)
    assert len(chunks) >= 4
    assert all(_word_count(f"T\n{c.text}") <= 30 for c in chunks)
    assert " ".join(c.text for c in chunks) == sentence


def test_seed_chunks_fit_the_default_encoders_window(embedder):
    for path in sorted(SEEDS.glob("*.txt")):
        loaded = load_article(path)
        chunks = chunk_article(
            loaded, count_tokens=embedder.count_tokens, max_tokens=embedder.max_tokens
        )
        for chunk in chunks:
            assert embedder.count_tokens(f"{chunk.meta.title}\n{chunk.text}") <= 512


def test_a_closing_quote_after_the_full_stop_stays_in_the_chunk():
    text = "Ông nói: “Việt Nam luôn ủng hộ hợp tác Nam - Nam.” Sau đó, hội nghị bế mạc."
    assert chunk_article(article(text))[0].text == text
