"""Which language a question is in, and the fixed texts the bot answers in each."""

from __future__ import annotations

import unicodedata
from typing import Literal

from knowledge.language import is_english, question_language
from knowledge.text import LETTERS

Lang = Literal["vi", "en"]


def detect_language(text: str) -> Lang:
    """Guess whether a question is Vietnamese or English.

    Args:
        text: The question.

    Returns:
        "vi" when the text has Vietnamese letters or reads as Vietnamese typed without tone
        marks, else "en": a question in a third language (French, Chinese) gets English, the
        bot's language for everyone who does not read Vietnamese.
    """
    # One detector for the whole pipeline (knowledge/language.py): retrieval uses it too.
    return "vi" if question_language(text) == "vi" else "en"


def is_other_language(text: str) -> bool:
    """Whether a question is in neither Vietnamese nor English (French, Chinese...)."""
    return question_language(text) == "other"


def text_language(text: str) -> Lang | Literal["other"] | None:
    """Which language a longer text (a model's answer, a passage) is written in.

    Unlike `detect_language`, a few Vietnamese names ("Bùi Thanh Sơn") in an English answer do
    not make it Vietnamese: the share of words with Vietnamese marks decides. Acronyms (ESCAP)
    count for neither language.

    Args:
        text: The text, citations and all.

    Returns:
        "vi", "en", "other" (mostly non-Latin letters, e.g. Chinese), or None when the text is
        too short or too mixed to tell.
    """
    tokens = [t for t in LETTERS.findall(text) if not (t.isupper() and len(t) > 1)]
    if len(tokens) < 3:
        return None
    non_latin = marked = 0
    for token in tokens:
        if not all(_is_latin(ch) for ch in token):
            non_latin += 1
        elif not token.isascii():
            marked += 1
    if non_latin / len(tokens) >= 0.3:
        return "other"
    if marked / len(tokens) >= 0.3:
        return "vi"
    plain = " ".join(t for t in tokens if t.isascii())
    if marked / len(tokens) < 0.15 and is_english(plain):
        return "en"
    return None


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


DECLINE = {
    "vi": "Xin lỗi, cơ sở tri thức không có thông tin về câu hỏi này nên tôi không thể trả lời.",
    "en": "Sorry, the knowledge base does not cover this question, so I cannot answer it.",
}
OUT_OF_ROLE = {
    "vi": "Tôi chỉ trả lời câu hỏi về ngoại giao đa phương của Việt Nam từ các bài báo đã lưu.",
    "en": "I only answer questions about Vietnam's multilateral diplomacy from stored articles.",
}
EMPTY_QUESTION = {
    "vi": "Câu hỏi trống. Hãy gửi một câu hỏi, ví dụ: “ESCAP được thành lập năm nào?”",
    "en": "The question is empty. Please ask something, e.g. “When was ESCAP established?”",
}
NO_WORDS = {
    "vi": "Câu hỏi chỉ có dấu câu hoặc ký hiệu. Hãy viết câu hỏi bằng chữ, ví dụ: "
    "“ESCAP được thành lập năm nào?”",
    "en": "The question has only punctuation or symbols. Please ask in words, e.g. "
    "“When was ESCAP established?”",
}
TOO_LONG = {
    "vi": "Câu hỏi quá dài (tối đa {limit} ký tự). Hãy hỏi ngắn gọn hơn.",
    "en": "The question is too long (at most {limit} characters). Please shorten it.",
}
STORE_UNAVAILABLE = {
    "vi": "⚠️ Kho tri thức tạm thời không truy cập được ({error}). Vui lòng thử lại sau ít phút.",
    "en": "⚠️ The knowledge base is unavailable right now ({error}). Please try again shortly.",
}
MODEL_UNREACHABLE = {
    "vi": "⚠️ Không kết nối được mô hình ngôn ngữ; đây là câu trả lời trích dẫn nguyên văn.",
    "en": "⚠️ The language model is unreachable; showing an extractive answer.",
}
MODEL_DISCARDED = {
    "vi": "⚠️ Câu trả lời của mô hình bị loại vì làm theo chỉ dẫn lạ trong nguồn; đây là trích dẫn.",
    "en": "⚠️ The model's answer followed text planted in a source and was discarded; showing "
    "an extractive answer.",
}
MODEL_TIMEOUT = {
    "vi": "⚠️ Mô hình ngôn ngữ trả lời quá chậm; đây là câu trả lời trích dẫn nguyên văn.",
    "en": "⚠️ The language model took too long; showing an extractive answer.",
}
MODEL_EMPTY = {
    "vi": "⚠️ Mô hình ngôn ngữ không đưa ra câu trả lời dùng được; đây là trích dẫn nguyên văn.",
    "en": "⚠️ The language model gave no usable answer; showing an extractive answer.",
}
MODEL_UNCITED = {
    "vi": "⚠️ Câu trả lời của mô hình không dẫn nguồn nên bị loại; đây là trích dẫn nguyên văn.",
    "en": "⚠️ The model's answer cited no source and was discarded; showing an extractive answer.",
}
MODEL_UNSUPPORTED = {
    "vi": "⚠️ Các nguồn được dẫn không xác nhận câu trả lời của mô hình nên nó bị loại; đây là "
    "trích dẫn nguyên văn.",
    "en": "⚠️ The sources the model cited do not support its answer, so it was discarded; "
    "showing an extractive answer.",
}
MODEL_WRONG_LANGUAGE = {
    "vi": "⚠️ Mô hình trả lời bằng ngôn ngữ khác với câu hỏi; đây là trích dẫn nguyên văn.",
    "en": "⚠️ The model answered in another language than the question's; showing an "
    "extractive answer.",
}
SENTENCES_REMOVED = {
    "vi": "⚠️ Đã lược bỏ {count} câu của mô hình mà nguồn được dẫn không xác nhận.",
    "en": "⚠️ Removed {count} sentence(s) of the model's answer that its cited sources do not "
    "support.",
}

# Heads the source sentences quoted after a model's answer in the other language.
SOURCE_WORDS = {"vi": "Nguyên văn của nguồn:", "en": "In the sources' own words:"}


def is_decline(text: str) -> bool:
    """Whether an answer text is the bot's "not covered" reply, in either language."""
    return any(decline in text for decline in DECLINE.values())


# Why a model's draft gave way to the extractive answer (bot/review), in the user's language.
MODEL_DECLINED_OVERRULED = {
    "vi": "Mô hình ngôn ngữ cho rằng nguồn không có câu trả lời, nhưng các bài viết có nội dung "
    "liên quan: dưới đây là trích dẫn trực tiếp.",
    "en": "The language model found no answer in the sources, but the articles cover the "
    "question: here are direct quotes.",
}
MODEL_COPIED = {
    "vi": "Câu trả lời của mô hình chỉ chép lại nguyên văn bài viết: dưới đây là những câu "
    "trả lời trực tiếp câu hỏi.",
    "en": "The language model's answer only copied an article: here are the sentences that "
    "answer the question.",
}
MODEL_RESTATED = {
    "vi": "Câu trả lời của mô hình chỉ nhắc lại câu hỏi: dưới đây là những câu trong bài viết "
    "trả lời câu hỏi.",
    "en": "The language model's answer only repeated the question: here are the sentences of the "
    "articles that answer.",
}
MODEL_OFF_QUESTION = {
    "vi": "Câu trả lời của mô hình không nêu điều câu hỏi hỏi (ngày tháng hay con số) dù nguồn "
    "có nêu: dưới đây là những câu trong bài viết trả lời câu hỏi.",
    "en": "The language model's answer did not give what was asked (a date or a number) although "
    "the sources do: here are the sentences of the articles that answer.",
}
# A question in neither language (French, Chinese): answered or declined in English, saying so.
OTHER_LANGUAGE = (
    "I answer in English or Vietnamese (Tôi trả lời bằng tiếng Anh hoặc tiếng Việt); "
    "this reply is in English."
)
# Its decline: the encoder reads a third language less well than the two it was checked on, so
# "not covered" may only mean "not found in this language" (a Chinese question is declined whole).
OTHER_LANGUAGE_DECLINED = (
    "I answer in English or Vietnamese (Tôi trả lời bằng tiếng Anh hoặc tiếng Việt); "
    "asked in one of them, this question may find its answer."
)
