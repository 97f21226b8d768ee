from knowledge.text import content_words, fold, lexical_tokens, normalize


def test_fold_removes_tone_marks_and_d_bar():
    assert fold("Việt Nam đã cử bao nhiêu chuyên gia") == "viet nam da cu bao nhieu chuyen gia"
    assert fold("ĐẠI SỨ Vũ Lê Thái Hoàng") == "dai su vu le thai hoang"


def test_normalize_composes_decomposed_vietnamese():
    decomposed = "Vie\u0302\u0323t Nam"  # "Việt" typed with combining marks
    assert normalize(decomposed) == "Việt Nam"
    assert len(normalize(decomposed)) == len("Việt Nam")


def test_tokens_with_and_without_tone_marks_are_the_same():
    assert lexical_tokens("Việt Nam đã cử chuyên gia") == lexical_tokens(
        "Viet Nam da cu chuyen gia"
    )


def test_tokens_carry_syllable_bigrams_and_date_parts():
    tokens = lexical_tokens("Phiên toàn thể ngày 20/3/2019")
    assert "toan_the" in tokens
    assert {"20/3/2019", "20", "3", "2019"} <= set(tokens)


def test_content_words_drop_function_words():
    assert content_words("Việt Nam và các nước của khu vực") == [
        "viet",
        "nam",
        "nuoc",
        "khu",
        "vuc",
    ]
