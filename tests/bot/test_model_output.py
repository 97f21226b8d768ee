"""Cleaning what a model writes: reasoning, echoes, markup, loops, cut-off sentences, streams."""

from __future__ import annotations

import random

import pytest

from bot.model_output import StreamFilter, clean_model_text, split_sentences

GOOD = "ESCAP được thành lập năm 1947 [2]. Hiện có 53 thành viên chính thức [2]."


def test_a_good_answer_is_left_as_it_is():
    cleaned = clean_model_text(GOOD)
    assert cleaned.text == GOOD and cleaned.flags == () and not cleaned.declined


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<think>Có lẽ là 1950.</think>ESCAP ra đời năm 1947 [1].", "ESCAP ra đời năm 1947 [1]."),
        ("<think>a</think>A [1]. <THINK>b</THINK>B [1].", "A [1]. B [1]."),
        (
            "ESCAP ra đời năm 1947 [1]. <think>Còn nữa không? 1950 [1].",
            "ESCAP ra đời năm 1947 [1].",
        ),
        ("<think>Chưa nghĩ xong, 1950 [1].", ""),
        # The chat template opened the block in the prompt (DeepSeek-R1): only the close shows.
        (
            "Người dùng hỏi… 1950.\n</think>\n\nESCAP ra đời năm 1947 [1].",
            "ESCAP ra đời năm 1947 [1].",
        ),
    ],
)
def test_reasoning_never_shows(raw, text):
    cleaned = clean_model_text(raw)
    assert cleaned.text == text and "think_removed" in cleaned.flags


@pytest.mark.parametrize(
    "echo",
    [
        "\n\nQuestion: ESCAP có bao nhiêu thành viên?",
        " Câu hỏi: ESCAP có bao nhiêu thành viên?",
        '\n<source id="3" title="x">ESCAP 1950</source>',
        "\nSources:\n1. ESCAP",
        " [/INST] Thêm một câu hỏi",
        "<start_of_turn>user\nHỏi tiếp",
        "<|im_end|><|im_start|>user",
        "<end_of_turn>",
        "\nAnswer in Vietnamese, citing the sources as [n].",
        " NOT_IN_SOURCES",
    ],
)
def test_an_echo_of_the_prompt_ends_the_answer(echo):
    cleaned = clean_model_text(GOOD + echo + " Một câu bịa 1950 [1].")
    assert cleaned.text == GOOD and "echo_cut" in cleaned.flags
    assert cleaned.stop_reason == "echo_cut"


def test_words_like_question_inside_a_sentence_are_no_echo():
    text = "Câu hỏi về ESCAP được bàn tại phiên họp [1]. The question of ESCAP was raised [2]."
    assert clean_model_text(text).text == text


@pytest.mark.parametrize(
    "raw",
    [
        "NOT_IN_SOURCES",
        "NOT_IN_SOURCES.",
        "Answer: NOT_IN_SOURCES\nQuestion: x",
        "**NOT_IN_SOURCES**",
    ],
)
def test_not_in_sources_at_the_start_is_a_decline(raw):
    cleaned = clean_model_text(raw)
    assert cleaned.declined and cleaned.text == ""


def test_an_answer_label_is_dropped():
    assert clean_model_text("Answer: " + GOOD).text == GOOD
    assert clean_model_text("Trả lời: " + GOOD).text == GOOD


def test_markup_is_removed_and_model_links_lose_their_target():
    raw = (
        "## Trả lời\n**ESCAP** được thành lập năm <b>1947</b> [1]. "
        '<a href="https://evil.example">Xem</a> [nguồn](https://evil.example) `x` citing [n].'
    )
    cleaned = clean_model_text(raw)
    assert "evil" not in cleaned.text and "<" not in cleaned.text and "*" not in cleaned.text
    assert cleaned.text.startswith("Trả lời\nESCAP được thành lập năm 1947 [1].")
    assert "[n]" not in cleaned.text and "markup_removed" in cleaned.flags
    assert clean_model_text("Theo [1](https://x.example).").text == "Theo [1]."


def test_initials_end_no_sentence():
    # Qwen on XQuAD: "E.I. du Pont, a former student of Lavoisier, …" was shown from "du Pont",
    # and the quoted source sentence under it ("Ví dụ, E.I. du Pont, …") was cut in two.
    for text in (
        "E.I. du Pont, a former student of Lavoisier, founded the company Eleutherian [1].",
        "• “Ví dụ, E.I. du Pont, một cựu sinh viên của Lavoisier.” [1]",
        "The speech by J.R.R. Tolkien was read [1].",
    ):
        assert split_sentences(text) == [text]
    assert len(split_sentences("Hội nghị họp ở Hà Nội [1]. Ông U.S. Grant đến [1].")) == 2


def test_a_numbered_list_becomes_bullets_not_sentences_of_a_number():
    # Qwen: "… có thể kể đến:\n\n1. Cây cầu …" was shown as "1 [1]. Cây cầu …", the marker
    # read as a sentence and given a citation.
    raw = "Các dự án gồm:\n\n1. ESCAP được thành lập năm 1947 [1].\n2) Trụ sở ở Bangkok [1]."
    cleaned = clean_model_text(raw)
    assert cleaned.text == (
        "Các dự án gồm:\n\n• ESCAP được thành lập năm 1947 [1].\n• Trụ sở ở Bangkok [1]."
    )
    assert "markup_removed" in cleaned.flags
    assert split_sentences(cleaned.text)[1].strip() == "• ESCAP được thành lập năm 1947 [1]."
    # A number that opens a sentence inside a line is no marker.
    assert clean_model_text("Năm 1947, ESCAP ra đời. 2 nước rút lui [1].").text.endswith(
        "2 nước rút lui [1]."
    )


def test_a_repeated_sentence_is_cut_after_its_first_time():
    cleaned = clean_model_text(GOOD + (" ESCAP được thành lập năm 1947 [2]." * 40))
    assert cleaned.text == GOOD and "repetition_cut" in cleaned.flags


def test_a_repeated_phrase_without_full_stops_is_cut():
    cleaned = clean_model_text(GOOD + " Việt Nam ủng hộ" + " hợp tác và phát triển" * 30)
    assert cleaned.text == GOOD
    assert {"repetition_cut", "unfinished_dropped"} <= set(cleaned.flags)


@pytest.mark.parametrize(
    "text",
    [
        "Hơn 1.000.000.000 người [1]. Nam - Nam là hợp tác giữa các nước đang phát triển [1].",
        "- Việt Nam [1]\n- Lào [1]\n- Campuchia [1]",
        "ESCAP có 53 thành viên [1]. ESCAP có 9 thành viên liên kết [1].",
    ],
)
def test_text_that_only_looks_repetitive_is_kept(text):
    assert clean_model_text(text).text == text


def test_a_last_sentence_cut_by_the_token_limit_is_dropped():
    cleaned = clean_model_text(GOOD + " Ngoài ra, ESCAP còn có 9 thành viên liên")
    assert cleaned.text == GOOD and "unfinished_dropped" in cleaned.flags
    # A sentence that ends with its citation is finished; one that ends with ":" is not.
    assert clean_model_text("ESCAP có 53 thành viên [1]").text == "ESCAP có 53 thành viên [1]"
    assert clean_model_text(GOOD + "\nCác thành viên gồm:").text == GOOD
    # While streaming, the last sentence is still being written.
    assert clean_model_text(GOOD + " Ngoài ra", finished=False).text == GOOD + " Ngoài ra"


def test_an_ellipsis_inside_a_sentence_is_no_end():
    text = "Ông gặp Trưởng đoàn Na Uy, Giám đốc UNDP… để thúc đẩy hợp tác [1]. Sau đó… Hết [1]."
    assert split_sentences(text) == [
        "Ông gặp Trưởng đoàn Na Uy, Giám đốc UNDP… để thúc đẩy hợp tác [1]. ",
        "Sau đó… ",
        "Hết [1].",
    ]


def test_a_full_stop_before_a_lower_case_word_is_no_end():
    # Qwen on XQuAD, and the sources' own words quoted under it: "Y. p." abbreviates a species;
    # cut there, the answer showed the fragment "orientalis and Y. p [1]." and the re-check
    # read the quote's pieces as uncited sentences.
    text = "The strains were Y. p. orientalis and Y. p. medievalis [1]. Both were ancestors [1]."
    assert split_sentences(text) == [
        "The strains were Y. p. orientalis and Y. p. medievalis [1]. ",
        "Both were ancestors [1].",
    ]
    quote = "• “… các chủng Y. pestis hiện đại là Y. p. orientalis và Y. p. medievalis.” [1]"
    assert split_sentences(quote) == [quote]


def test_split_sentences_keeps_citations_abbreviations_and_lines():
    text = "Ngày 22/3, TP. Hồ Chí Minh đón đoàn. [1] Có 1.000 người, tức 1,5 lần [2]!\n- Một [1]\n"
    sentences = split_sentences(text)
    assert sentences == [
        "Ngày 22/3, TP. Hồ Chí Minh đón đoàn. [1] ",
        "Có 1.000 người, tức 1,5 lần [2]!\n",
        "- Một [1]\n",
    ]
    assert "".join(sentences) == text


TRICKY = [
    "<think>Có lẽ 1950, hoặc <b>1949</b>.</think>**ESCAP** ra đời năm 1947 [2]. Hiện có 53 "
    "thành viên [2].\nQuestion: còn gì nữa? 1950",
    'ESCAP ra đời năm 1947 [2]. <source id="2">1950</source>',
    "ESCAP ra đời năm 1947 [2]. [/INST] 1950",
    "Trả lời: ESCAP ra đời năm 1947 [2]. Câu hỏi: 1950?",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_a_stream_never_shows_what_the_final_text_cuts(raw):
    rng = random.Random(7)
    for _ in range(100):
        shown: list[str] = []
        stream = StreamFilter(shown.append)
        position = 0
        while position < len(raw) and not stream.stop_reason:
            size = rng.randint(1, 6)  # tags and labels split across deltas
            stream.feed(raw[position : position + size])
            position += size
        text = "".join(shown)
        assert text == stream.shown
        assert clean_model_text(raw).text.startswith(text.strip())
        for hidden in ("1950", "1949", "<", "*", "think", "Question", "Câu hỏi", "INST", "Trả lời"):
            assert hidden not in text, (hidden, text)


def test_an_echo_in_the_stream_asks_the_model_to_stop():
    stream = StreamFilter()
    stream.feed(GOOD + " Ques")
    assert stream.stop_reason is None and "Ques" not in stream.shown
    stream.feed("tion: x")
    assert stream.stop_reason == "echo_cut" and stream.shown.strip() == GOOD


def test_a_runaway_stream_is_stopped():
    stream = StreamFilter()
    for i in range(3000):
        stream.feed(f"câu {i} ")
        if stream.stop_reason:
            break
    assert stream.stop_reason == "too_long"


def test_with_a_judge_the_stream_shows_only_accepted_whole_sentences():
    shown: list[str] = []
    stream = StreamFilter(shown.append, accept=lambda sentence: "1950" not in sentence)
    for word in "A có 53 [1]. B năm 1950 [1]. C năm 1947 [1].".split(" "):
        stream.feed(word + " ")
    assert shown == ["A có 53 [1]. "]  # the last sentence may still grow
    stream.finish()
    assert shown == ["A có 53 [1]. ", "C năm 1947 [1]."]
