"""The review chain on scripted drafts: adversarial sentences in both languages are removed,
right ones kept (with a citation added where the model left it out), with the real encoder."""

from __future__ import annotations

import pytest
from answer_fakes import make_passage

from bot.grounding import Grounder
from bot.review import MeaningScorer, ReviewContext, review, review_sentence
from bot.review.attribution import with_citation
from bot.review.draft import Sentence
from bot.review.meaning import negated, negation_differs
from bot.review.source_words import source_words, with_source_words, without_source_words

G77 = (
    "Tham dự Hội nghị có khoảng hơn 100 đoàn đại biểu các nước thành viên Liên hợp quốc, trong "
    "đó 5 Nguyên thủ quốc gia và hơn 40 đại biểu cấp Bộ trưởng trở lên. Đoàn Việt Nam do Thứ "
    "trưởng thường trực Bộ Ngoại giao Bùi Thanh Sơn dẫn đầu đã tham dự Hội nghị tại Buenos "
    "Aires. Phát biểu tại Phiên toàn thể, Thứ trưởng Bùi Thanh Sơn khẳng định: Việt Nam luôn "
    "ủng hộ và coi trọng hợp tác Nam - Nam. Hội nghị đã đánh giá tiến trình 40 năm triển khai "
    "hợp tác Nam - Nam."
)
ESCAP = (
    "ESCAP được thành lập năm 1947, là một trong 5 Ủy ban khu vực của Liên hợp quốc. Hiện "
    "ESCAP có 53 thành viên chính thức và 9 thành viên liên kết."
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def passages():
    return [
        make_passage(G77, "001_g77", "Hội nghị Nam - Nam"),
        make_passage(ESCAP, "002_escap", "ESCAP"),
    ]


def context(passages, embedder, lang, question="?"):
    evidence = [p.text for p in passages]
    meaning = MeaningScorer(embedder.embed_statements, evidence)
    return ReviewContext(question, passages, lang, Grounder(evidence, lang), meaning)


KEPT = {
    "en": [
        "More than 100 delegations of UN member states attended the conference [1].",
        "The Vietnamese delegation was led by Permanent Deputy Foreign Minister Bui Thanh Son [1].",
        "Bui Thanh Son said Vietnam always supports and values South-South cooperation [1].",
        "ESCAP was established in 1947 [2].",
        "ESCAP has 53 full members and 9 associate members [2].",
    ],
    "vi": [
        "Đoàn Việt Nam do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1].",
        "Việt Nam luôn ủng hộ và coi trọng hợp tác Nam - Nam [1].",
        "ESCAP có 53 thành viên chính thức [2].",
    ],
}
# Each a fluent sentence with a valid citation that its source does not support.
REMOVED = {
    "en": {
        "changed actor": "The Vietnamese delegation was led by Prime Minister Pham Minh Chinh [1].",
        "changed place": "The Vietnamese delegation attended the conference in Geneva [1].",
        "negated claim": "Vietnam did not attend the conference [1].",
        "invented proposal": "Vietnam proposed a regional climate fund for developing "
        "countries [1].",
        "invented outcome": "The conference adopted a binding treaty on maritime security [1].",
        "changed number": "ESCAP has 60 full members [2].",
    },
    "vi": {
        "changed actor": "Đoàn Việt Nam do Thủ tướng Phạm Minh Chính dẫn đầu [1].",
        "changed place": "Đoàn Việt Nam tham dự Hội nghị tại Genève [1].",
        "negated claim": "Việt Nam không tham dự Hội nghị [1].",
        "invented proposal": "Việt Nam đề xuất thành lập quỹ khí hậu khu vực cho các nước "
        "đang phát triển [1].",
        "changed number": "ESCAP có 60 thành viên chính thức [2].",
    },
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_right_sentences_are_kept(lang, passages, embedder):
    ctx = context(passages, embedder, lang)
    for sentence in KEPT[lang]:
        outcome = review(sentence, ctx)
        assert outcome.text == sentence and not outcome.fallback, (sentence, outcome)


@pytest.mark.parametrize(
    ("lang", "case"), [(lang, case) for lang, cases in REMOVED.items() for case in cases]
)
def test_an_adversarial_sentence_is_removed(lang, case, passages, embedder):
    ctx = context(passages, embedder, lang)
    right = KEPT[lang][0]
    wrong = REMOVED[lang][case]
    outcome = review(f"{right} {wrong}", ctx)
    assert outcome.text == right, (case, outcome)
    assert (outcome.sentences_total, outcome.sentences_removed) == (2, 1)
    assert review_sentence(wrong, ctx) is None  # never shown in the stream either


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_an_uncited_right_sentence_gets_its_citation(lang, passages, embedder):
    ctx = context(passages, embedder, lang)
    sentence = KEPT[lang][-1].replace(" [2]", "")
    outcome = review(sentence, ctx)
    assert outcome.text == KEPT[lang][-1] and "citations_attributed" in outcome.flags
    assert review_sentence(sentence, ctx) == KEPT[lang][-1]


def test_an_uncited_invention_gets_no_citation_and_falls_back(passages, embedder):
    outcome = review("Vietnam proposed a regional climate fund.", context(passages, embedder, "en"))
    assert outcome.fallback == "uncited"


def test_a_reply_in_the_other_language_falls_back(passages, embedder):
    outcome = review(KEPT["vi"][0], context(passages, embedder, "en"))
    assert outcome.fallback == "language"


def test_a_sentence_that_switches_language_is_removed(passages, embedder):
    ctx = context(passages, embedder, "en")
    english = " ".join(KEPT["en"][:3])
    outcome = review(f"{english} {KEPT['vi'][2]}", ctx)
    assert outcome.text == english and outcome.sentences_removed == 1


def test_an_english_sentence_half_in_vietnamese_is_removed(passages, embedder):
    # Qwen on XQuAD: "The GPhC is responsible for … the work of dược professionals [1]."
    ctx = context(passages, embedder, "en")
    right = KEPT["en"][0]
    mixed = "The Vietnamese delegation was led by the thứ trưởng Bui Thanh Son [1]."
    outcome = review(f"{right} {mixed}", ctx)
    assert outcome.text == right and outcome.removed == [
        (mixed, "mixes Vietnamese words into English")
    ], outcome
    assert review_sentence(mixed, ctx) is None  # never streamed either
    # Left with nothing, the user is told the answer was unsupported (it was cited).
    assert review(mixed, ctx).fallback == "unsupported"


ARTS = (
    "Năm 1981, ABC (thông qua bộ phận Dịch vụ Video ABC) đã ra mắt Dịch vụ Truyền hình Kịch mục "
    "Alpha (ARTS), một kênh truyền hình cáp hoạt động liên doanh với Tập đoàn Hearst để cung cấp "
    "chương trình văn hóa và nghệ thuật."
)


def test_a_name_kept_as_its_source_writes_it_is_no_mix(embedder):
    # Qwen on XQuAD kept the channel's name as the Vietnamese source writes it, as the prompt
    # asks; a Vietnamese phrase the source does not hold in a row is still a mix.
    ctx = context([make_passage(ARTS, "abc", "XQuAD 25")], embedder, "en")
    named = "In 1981, ABC launched the channel Kịch mục Alpha [1]."
    outcome = review(named, ctx)
    assert outcome.text == named and not outcome.fallback, outcome
    mixed = "ABC and Hearst launched the Truyền hình nghệ channel for arts programming [1]."
    outcome = review(f"{named} {mixed}", ctx)
    assert outcome.removed == [(mixed, "mixes Vietnamese words into English")], outcome
    # Without a citation, the name is looked up in every source sent, and attribution then
    # cites the one that holds it.
    outcome = review("In 1981, ABC launched the channel Kịch mục Alpha.", ctx)
    assert outcome.text == named and not outcome.fallback, outcome
    uncited = mixed.replace(" [1]", "")
    outcome = review(uncited, ctx)
    assert outcome.removed == [(uncited, "mixes Vietnamese words into English")], outcome


def test_an_english_sentence_may_quote_its_sources_words(passages, embedder):
    # What the prompt asks for: the translation, then the Vietnamese words it renders.
    sentence = (
        "The Vietnamese delegation was led by Permanent Deputy Foreign Minister Bui Thanh Son "
        '("Thứ trưởng thường trực Bộ Ngoại giao Bùi Thanh Sơn") [1].'
    )
    outcome = review(sentence, context(passages, embedder, "en"))
    assert outcome.text == sentence and not outcome.fallback, outcome


def test_a_quote_its_sources_do_not_hold_is_removed(passages, embedder):
    ctx = context(passages, embedder, "en")
    right = KEPT["en"][0]
    invented = 'Vietnam proposed a climate fund ("quỹ khí hậu khu vực") [1].'
    outcome = review(f"{right} {invented}", ctx)
    assert outcome.text == right and outcome.sentences_removed == 1, outcome


def test_a_bare_vietnamese_quote_is_no_english_answer(passages, embedder):
    quote = KEPT["vi"][0].replace(" [1].", "")
    outcome = review(f"“{quote}” [1].", context(passages, embedder, "en"))
    assert outcome.fallback == "language", outcome


def test_a_pasted_passage_gives_way_to_the_extractive_answer(embedder):
    text = " ".join(f"Câu số {n} của bài viết nói về ESCAP và hợp tác khu vực." for n in range(6))
    passages = [make_passage(text, "002_escap", "ESCAP")]
    pasted = " ".join(
        f"Câu số {n} của bài viết nói về ESCAP và hợp tác khu vực [1]." for n in range(6)
    )
    assert review(pasted, context(passages, embedder, "vi")).fallback == "copied"


def test_a_reply_cut_by_the_token_limit_loses_only_its_unfinished_sentence(passages, embedder):
    outcome = review(
        f"{KEPT['vi'][2]} Ngoài ra, ESCAP còn có 9 thành", context(passages, embedder, "vi")
    )
    assert outcome.text == KEPT["vi"][2] and not outcome.fallback


def test_a_model_that_declines_gives_way_to_the_extractive_answer(passages, embedder):
    assert review("NOT_IN_SOURCES", context(passages, embedder, "vi")).fallback == "declined"


def test_negation_cues():
    assert negated("Vietnam did not attend") and negated("Việt Nam không tham dự")
    assert negated("It wasn't signed") and negated("Dự thảo chưa được thông qua")
    assert not negated("Việt Nam tham dự Hội nghị hàng không") and not negated("Vietnam attended")
    assert not negated("không chỉ thúc đẩy thương mại mà còn đầu tư")
    # XQuAD's sources: "for example", "unlike", "no fewer than" deny nothing; "unmarried" does.
    assert not negated("Chẳng hạn như Muhammad ibn Zakarīya Rāzi đã thúc đẩy việc sử dụng")
    assert not negated("dịch vụ mới đã sử dụng vệ tinh Astra 2A, không giống như dịch vụ analog")
    assert not negated("Avicenna mô tả không dưới 700 chế phẩm") and not negated("not only trade")
    assert negated("12.843 hộ gia đình là cặp đôi khác giới chưa kết hôn")


# XQuAD's Fresno census sentences: a list whose later items say "không" (without a husband),
# and a sentence whose first clause says "chưa kết hôn" (unmarried).
HOUSEHOLDS = (
    "Có 158.349 hộ gia đình, trong đó 68.511 (43,3%) hộ gia đình có con dưới 18 tuổi sống trong "
    "đó, 69.284 (43,8%) hộ gia đình là các cặp vợ chồng khác giới chung sống, 30.547 (19,3%) hộ "
    "gia đình có chủ nhà là nữ không có chồng, 11.698 (7,4%) hộ gia đình có chủ nhà là nam không "
    "vợ."
)
COUPLES = (
    "Có 12.843 (8.1%) hộ gia đình là cặp đôi khác giới chưa kết hôn và 1.388 (0,9%) hộ gia đình "
    "là các cặp vợ chồng hoặc cặp đôi đồng giới."
)


def test_negation_is_read_in_the_clauses_holding_the_claims_numbers():
    right = "There are 68,511 households with children under the age of 18 living in them"
    assert negated(HOUSEHOLDS) and not negation_differs(right, HOUSEHOLDS)
    assert not negation_differs("Có 68.511 hộ gia đình có con dưới 18 tuổi", HOUSEHOLDS)
    # The number's own clause says "không", or the claim denies what its clause states.
    assert negation_differs("30,547 households are headed by a woman with a husband", HOUSEHOLDS)
    assert negation_differs("68,511 households have no children under 18", HOUSEHOLDS)
    # 12.843 comes from the unmarried clause, whichever clause the claim's words echo.
    assert negation_differs("12.843 hộ gia đình là các cặp đôi đồng giới", COUPLES)
    # Without numbers the whole sentence is read, as before.
    assert negation_differs("Households are headed by women with husbands", HOUSEHOLDS)


# XQuAD's Yuan classes: "không phải X, mà chỉ Y" affirms Y.
MOTE = (
    'Nhà sử học Frederick W. Mote đã viết rằng việc sử dụng thuật ngữ "giai cấp xã hội" cho hệ '
    "thống này là sai lệch và rằng vị thế của những người trong hệ thống bốn giai cấp không phải "
    'là một dấu hiệu của sức mạnh xã hội và sự giàu có thực sự của họ, mà chỉ bao hàm "mức độ '
    'đặc quyền"mà họ được hưởng về mặt thể chế và pháp lý, do đó, địa vị một người đứng trong '
    "các giai cấp không phải là dấu hiệu cho thấy vị thế thực sự của họ."
)


def test_the_affirmed_side_of_a_contrast_is_no_negation():
    # Qwen's right answer, removed as "negation differs" before.
    right = 'Mote thought the Yuan class system represented "mức độ đặc quyền"'
    assert not negation_differs(right, MOTE)
    assert not negation_differs('Mote cho rằng hệ thống chỉ bao hàm "mức độ đặc quyền"', MOTE)
    # The denied side stays denied.
    assert negation_differs("Vị thế là dấu hiệu của sức mạnh xã hội và sự giàu có", MOTE)
    # A claim that shares no word with either side is read against the whole sentence, which
    # denies, not against the affirmed side.
    assert negation_differs("The classes described a system", MOTE)


@pytest.mark.parametrize(
    ("lang", "right", "wrong"),
    [
        (
            "en",
            "There are 68,511 households with children under the age of 18 living in them [1].",
            "There are 30,547 households headed by a woman with a husband [1].",
        ),
        (
            "vi",
            "Có 158.349 hộ gia đình, trong đó 68.511 (43,3%) có con dưới 18 tuổi sống trong đó "
            "[1].",
            "Có 12.843 hộ gia đình là các cặp vợ chồng đồng giới [1].",
        ),
    ],
)
def test_a_list_item_is_not_denied_by_another_items_negation(lang, right, wrong, embedder):
    # Qwen's answers to XQuAD's "How many households have kids under 18?" in both languages,
    # removed while the whole source sentence was read for its negation.
    passages = [make_passage(f"{HOUSEHOLDS} {COUPLES}", "fresno", "XQuAD 19")]
    ctx = context(passages, embedder, lang)
    outcome = review(f"{right} {wrong}", ctx)
    assert outcome.text == right and not outcome.fallback, outcome
    assert outcome.sentences_removed == 1


PLAGUE = (
    "Baghdad đã bị tổn thương nặng nề do bệnh dịch hạch, và có đôi lúc hai phần ba dân số "
    "Baghdad đã bị xóa sổ. Năm 1466, khoảng 40.000 người đã chết vì bệnh dịch hạch ở Paris."
)


@pytest.mark.parametrize(
    ("lang", "question", "right", "wrong"),
    [
        (
            "vi",
            "Tối đa có bao nhiêu người đã chết vì bệnh dịch hạch ở Baghdad?",
            "Có đôi lúc hai phần ba dân số Baghdad đã bị xóa sổ [1].",
            "Tối đa có 40.000 người đã chết vì bệnh dịch hạch ở Paris [1].",
        ),
        (
            "en",
            "How many people, at most, have died of plague in Baghdad?",
            "At times two thirds of Baghdad's population was wiped out by the plague [1].",
            "At most 40,000 people have died of plague in Paris [1].",
        ),
    ],
)
def test_a_sentence_about_another_subject_than_asked_is_removed(
    lang, question, right, wrong, embedder
):
    # Qwen on XQuAD: the question's frame, every fact in the source, and Paris for Baghdad.
    ctx = context([make_passage(PLAGUE, "plague", "XQuAD 21")], embedder, lang, question)
    outcome = review(f"{right} {wrong}", ctx)
    assert outcome.removed == [(wrong, "about 'paris', not 'baghdad'")], outcome
    assert "Paris" not in outcome.text and review_sentence(wrong, ctx) is None
    assert review_sentence(right, ctx) == right


def test_the_name_a_question_asks_for_is_no_other_subject(passages, embedder):
    question = "Ai dẫn đầu đoàn Việt Nam tham dự Hội nghị tại Buenos Aires?"
    ctx = context(passages, embedder, "vi", question)
    for answer in (
        "Thứ trưởng Bùi Thanh Sơn dẫn đầu đoàn Việt Nam tham dự Hội nghị [1].",
        "Đoàn Việt Nam tham dự Hội nghị do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1].",
    ):
        outcome = review(answer, ctx)
        assert outcome.text == answer and not outcome.fallback, outcome


def test_the_subject_check_reads_only_a_question_with_a_frame_and_a_name(passages):
    from bot.review.draft import Draft
    from bot.review.subject import SubjectCheck

    def removed(question: str, sentence: str, lang: str = "vi") -> str:
        draft = Draft(sentence, [Sentence(sentence)])
        ctx = ReviewContext(question, passages, lang, Grounder([], lang), None)
        return SubjectCheck()(draft, ctx).sentences[0].removed

    # Names alone leave no frame to echo: the title after "is" answers, it replaces nothing.
    who = "Who is Bui Thanh Son?"
    assert not removed(who, "He is Permanent Deputy Foreign Minister [1].", "en")
    # Without a name there is nothing to swap.
    assert not removed("Hội nghị họp ở đâu?", "Hội nghị họp ở Buenos Aires [1].")
    assert removed("Hội nghị họp ở Geneva bao lâu?", "Hội nghị họp ở Buenos Aires 3 ngày [1].")


def test_a_claim_is_embedded_once_per_answer(passages, embedder):
    calls: list[int] = []

    def embed(texts):
        calls.append(len(texts))
        return embedder.embed_statements(texts)

    scorer = MeaningScorer(embed, [p.text for p in passages])
    first = scorer.support("ESCAP was established in 1947.", (2,))
    again = scorer.support("ESCAP was established in 1947.", (1, 2))
    assert first == again and first.score > 0.84
    assert calls.count(1) == 1  # the claim once; each source's sentences once


def test_a_citation_goes_before_the_final_stop():
    assert with_citation("ESCAP có 53 thành viên. ", 2) == "ESCAP có 53 thành viên [2]. "
    assert with_citation("Ông nói: “Đúng vậy.”", 1) == "Ông nói: “Đúng vậy [1].”"


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_sentence_citing_the_wrong_passage_is_cited_again(lang, passages, embedder):
    ctx = context(passages, embedder, lang)
    right = KEPT[lang][-1]  # cites [2], the ESCAP passage
    outcome = review(right.replace("[2]", "[1]"), ctx)
    assert outcome.text == right and "citations_corrected" in outcome.flags
    assert review_sentence(right.replace("[2]", "[1]"), ctx) == right


@pytest.mark.parametrize(
    ("lang", "question", "reply", "shown"),
    [
        # What is asked is given: shown.
        ("vi", "ESCAP được thành lập năm nào?", "ESCAP được thành lập năm 1947 [2].", True),
        ("en", "When was ESCAP established?", "ESCAP was established in 1947 [2].", True),
        ("vi", "Có bao nhiêu đoàn đại biểu?", "Có khoảng hơn 100 đoàn đại biểu tham dự [1].", True),
        ("en", "How many delegations attended?", "More than 100 delegations attended [1].", True),
        # Supported, but no date or number where the sources give one: the extractive answer.
        ("vi", "ESCAP được thành lập khi nào?", "ESCAP là một Ủy ban khu vực [2].", False),
        ("en", "When was ESCAP established?", "ESCAP is a regional commission [2].", False),
        # A number, but of something else than the question counts.
        ("vi", "Có bao nhiêu đoàn đại biểu?", "Hội nghị đánh giá tiến trình 40 năm [1].", False),
        ("en", "How many members does ESCAP have?", "ESCAP is a UN commission [2].", False),
    ],
)
def test_an_answer_gives_the_date_or_number_asked(lang, question, reply, shown, passages, embedder):
    outcome = review(reply, context(passages, embedder, lang, question))
    assert (outcome.fallback == "") is shown, outcome
    if not shown:
        assert outcome.fallback == "off_question"


@pytest.mark.parametrize(
    ("lang", "question", "reply", "outcome_text"),
    [
        # The question's own words, every one supported: no answer; nothing else is left.
        (
            "vi",
            "Đoàn nào do Thứ trưởng Bùi Thanh Sơn dẫn đầu?",
            "Đoàn do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1].",
            "",
        ),
        (
            "en",
            "Which delegation attended the conference in Buenos Aires?",
            "The delegation attended the conference in Buenos Aires [1].",
            "",
        ),
        # "Hãy" (please) folds to the "hay" (or) of an either/or question, and is not one.
        (
            "vi",
            "Hãy cho biết đoàn nào do Thứ trưởng Bùi Thanh Sơn dẫn đầu?",
            "Đoàn do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1].",
            "",
        ),
        # A restating sentence goes, the one that answers stays.
        (
            "vi",
            "Đoàn nào do Thứ trưởng Bùi Thanh Sơn dẫn đầu?",
            "Đoàn do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1]. Đoàn Việt Nam do Thứ trưởng Bùi "
            "Thanh Sơn dẫn đầu [1].",
            "Đoàn Việt Nam do Thứ trưởng Bùi Thanh Sơn dẫn đầu [1].",
        ),
        # A Vietnamese sentence that still asks with the question's words echoes it, whatever
        # it appends (Qwen: "Bệnh dịch đã kéo dài bao lâu … từ năm 1701 đến 1800 [1]").
        (
            "vi",
            "Có bao nhiêu đoàn đại biểu tham dự Hội nghị?",
            "Có bao nhiêu đoàn đại biểu tham dự Hội nghị, trong đó 5 Nguyên thủ quốc gia [1]. "
            "Tham dự Hội nghị có khoảng hơn 100 đoàn đại biểu [1].",
            "Tham dự Hội nghị có khoảng hơn 100 đoàn đại biểu [1].",
        ),
        # A yes/no or either/or question may be answered in its own words.
        (
            "vi",
            "Đoàn Việt Nam có tham dự Hội nghị không?",
            "Đoàn Việt Nam đã tham dự Hội nghị [1].",
            "Đoàn Việt Nam đã tham dự Hội nghị [1].",
        ),
        (
            "en",
            "Did the Vietnamese delegation attend the conference in Buenos Aires or in Geneva?",
            "The Vietnamese delegation attended the conference in Buenos Aires [1].",
            "The Vietnamese delegation attended the conference in Buenos Aires [1].",
        ),
        # ... but one that comes back whole, both alternatives, picks neither.
        (
            "vi",
            "Đoàn Việt Nam tham dự Hội nghị tại Buenos Aires hay tại Geneva?",
            "Đoàn Việt Nam tham dự Hội nghị tại Buenos Aires hay tại Geneva [1].",
            "",
        ),
    ],
)
def test_a_sentence_that_only_restates_the_question_is_no_answer(
    lang, question, reply, outcome_text, passages, embedder
):
    ctx = context(passages, embedder, lang, question)
    outcome = review(reply, ctx)
    assert outcome.text == outcome_text, outcome
    if not outcome_text:
        assert outcome.fallback == "restated"
        assert review_sentence(reply, ctx) is None  # never streamed either


def test_a_translated_answer_brings_its_sources_own_words(passages, embedder):
    # For an English reader of Vietnamese sources: the sentence each claim rests on, once.
    english = " ".join([KEPT["en"][1], KEPT["en"][2], KEPT["en"][3]])
    outcome = review(english, context(passages, embedder, "en"))
    assert outcome.text == english
    assert outcome.source_words == [
        (
            1,
            "Đoàn Việt Nam do Thứ trưởng thường trực Bộ Ngoại giao Bùi Thanh Sơn dẫn đầu đã "
            "tham dự Hội nghị tại Buenos Aires.",
        ),
        (
            1,
            "Phát biểu tại Phiên toàn thể, Thứ trưởng Bùi Thanh Sơn khẳng định: Việt Nam luôn "
            "ủng hộ và coi trọng hợp tác Nam - Nam.",
        ),
        (2, "ESCAP được thành lập năm 1947, là một trong 5 Ủy ban khu vực của Liên hợp quốc."),
    ]
    # A Vietnamese answer already speaks the sources' language; a removed claim rests on none.
    assert review(" ".join(KEPT["vi"]), context(passages, embedder, "vi")).source_words == []
    wrong = review(
        f"{KEPT['en'][3]} {REMOVED['en']['changed number']}", context(passages, embedder, "en")
    )
    assert [n for n, _ in wrong.source_words] == [2] and "60" not in wrong.source_words[0][1]


def test_a_claim_joining_two_sentences_quotes_both_and_no_excerpt_gap(embedder):
    # The dev set's d11: the closest sentence has HLPF 2024, the signing with the IAEA is in
    # another, a list item. Sent excerpts are joined by " … ", a mark that is not the article's.
    unossc = make_passage(
        "Sự tham gia tích cực của UNOSSC vào HLPF 2024 đã giúp nâng cao nhận thức về tầm quan "
        "trọng của hợp tác Nam-Nam. … UNOSSC đã tổ chức nhiều sự kiện bên lề về biến đổi khí "
        "hậu.\n- UNOSSC đã ký Tuyên bố ý định với Cơ quan Năng lượng Nguyên tử Quốc tế (IAEA).",
        "004_unossc",
        "UNOSSC tại HLPF",
    )
    claim = Sentence("UNOSSC signed a Statement of Intent with the IAEA at HLPF 2024 [1].")
    quotes = source_words([claim], context([unossc], embedder, "en"))
    assert sorted(quotes) == [
        (
            1,
            "Sự tham gia tích cực của UNOSSC vào HLPF 2024 đã giúp nâng cao nhận thức về tầm "
            "quan trọng của hợp tác Nam-Nam.",
        ),
        (1, "UNOSSC đã ký Tuyên bố ý định với Cơ quan Năng lượng Nguyên tử Quốc tế (IAEA)."),
    ]


def test_the_eval_can_read_an_answer_without_its_quoted_source_words():
    text = "ESCAP was founded in 1947 [1]."
    shown = with_source_words(text, [(1, "ESCAP được thành lập năm 1947.")], "en")
    assert shown.startswith(text) and "“ESCAP được thành lập năm 1947.” [1]" in shown
    assert without_source_words(shown) == text and with_source_words(text, [], "en") == text


def test_a_number_word_brings_no_second_quote(embedder):
    # "first" is a number to the exact checks, and so is any sentence's "một": no anchor.
    folk = make_passage(
        "Ban nhạc metal dân gian Skyclad, thường được coi là ban nhạc metal dân gian đầu tiên, "
        "được thành lập tại Newcastle. Lindisfarne là một nhóm nhạc rock dân gian ở Tyneside.",
        "xquad-newcastle",
        "XQuAD 13",
    )
    claim = Sentence("Skyclad is often considered the first folk metal band [1].")
    quotes = source_words([claim], context([folk], embedder, "en"))
    assert [text.split(",")[0] for _, text in quotes] == ["Ban nhạc metal dân gian Skyclad"]
