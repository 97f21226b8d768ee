"""Questions the corpus cannot answer, in forms people really type: a clear reply, declined."""

from __future__ import annotations

import pytest

from bot.answerer import Answerer, build_answerer
from bot.language import (
    DECLINE,
    OTHER_LANGUAGE,
    OTHER_LANGUAGE_DECLINED,
    detect_language,
    is_other_language,
)
from bot.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def answerer(seed_kb) -> Answerer:
    return build_answerer(Settings(_env_file=None), seed_kb)


@pytest.mark.parametrize(
    "question",
    [
        "What is the airspeed velocity of an unladen swallow?",  # no Vietnamese counterpart
        "Who won the Eurovision Song Contest in 1998?",
        "Weather",  # one English word
        "Lottery",
        "Lionel Messi Cristiano Ronaldo",  # only names, none in the corpus
    ],
)
def test_english_questions_nothing_answers_are_declined_in_english(answerer, question):
    answer = answerer.answer(question)
    assert detect_language(question) == "en"
    assert not answer.answered and answer.text == DECLINE["en"], answer.text
    assert not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "Quelle est la capitale de la France ?",
        "Quel temps fera-t-il demain à Paris ?",
        "法国的首都是哪里？",
        "明天的天气怎么样？",
    ],
)
def test_a_third_language_gets_a_clear_reply_and_is_declined_when_nothing_answers(
    answerer, question
):
    # Not Vietnamese: the reply is in English, the bot's language for everyone else.
    assert is_other_language(question) and detect_language(question) == "en"
    answer = answerer.answer(question)
    assert not answer.answered and answer.text == DECLINE["en"], answer.text
    # It says which languages it answers in, and that one of them may find what this did not.
    assert answer.notice == OTHER_LANGUAGE_DECLINED


def test_a_third_language_question_the_corpus_answers_is_answered_in_english(answerer):
    answer = answerer.answer("Quand l'ESCAP a-t-elle été fondée ?")
    assert answer.answered and "1947" in answer.text, answer.text
    assert answer.text.startswith("The sources (in Vietnamese) say:")
    assert answer.notice == OTHER_LANGUAGE


def test_english_with_vietnamese_names_is_answered_like_a_clean_question(answerer):
    mixed = answerer.answer("What did Bùi Thanh Sơn say about ESCAP's 75th anniversary?")
    assert detect_language(mixed.question) == "en"
    assert mixed.answered and mixed.text.startswith("The sources (in Vietnamese) say:")
    assert "75 năm" in mixed.text


def test_unaccented_vietnamese_is_answered_like_accented(answerer):
    plain = answerer.answer("ESCAP co bao nhieu thanh vien chinh thuc?")
    marked = answerer.answer("ESCAP có bao nhiêu thành viên chính thức?")
    assert plain.answered and marked.answered
    assert "53" in plain.text and "53" in marked.text


def test_an_english_question_of_known_names_is_answered_from_their_article(answerer):
    answer = answerer.answer("ESCAP and ECOSOC?")
    assert answer.answered and "ESCAP" in answer.text
    assert "From the article “" in answer.text
