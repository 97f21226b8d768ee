from bot.citations import check_citations


def test_valid_citations_are_kept_in_order_of_first_use():
    checked = check_citations("ESCAP was founded in 1947 [3]. It has 53 members [1].", 5)
    assert checked.text == "ESCAP was founded in 1947 [1]. It has 53 members [2]."
    assert checked.order == [3, 1]
    assert not checked.uncited


def test_styles_of_multiple_citations():
    checked = check_citations("A [1, 2]. B [2][3]. C [1;3]. D [2-4].", 4)
    assert checked.text == "A [1][2]. B [2][3]. C [1][3]. D [2][3][4]."
    assert checked.order == [1, 2, 3, 4]


def test_made_up_numbers_are_removed_without_leaving_gaps():
    checked = check_citations("Fact one [1]. Fact two [7]. Fact three [0, 2].", 2)
    assert checked.text == "Fact one [1]. Fact two. Fact three [2]."
    assert checked.removed == [7, 0]
    assert checked.order == [1, 2]


def test_an_answer_left_without_citations_is_flagged():
    checked = check_citations("Something without any source [9].", 3)
    assert checked.uncited
    assert checked.text == "Something without any source."


def test_years_in_brackets_are_not_citations():
    checked = check_citations("Founded [1947] as ECAFE [1].", 1)
    assert checked.text == "Founded [1947] as ECAFE [1]."


def test_absurd_ranges_are_not_expanded():
    checked = check_citations("X [1-300].", 3)
    assert checked.order == [1]
    assert checked.removed == [300]
