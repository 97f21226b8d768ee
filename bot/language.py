"""Which language a question is in, and the fixed texts the bot answers in each."""

from __future__ import annotations

from typing import Literal

from knowledge.glossary import is_english

Lang = Literal["vi", "en"]


def detect_language(text: str) -> Lang:
    """Guess whether a question is Vietnamese or English.

    Args:
        text: The question.

    Returns:
        "vi" when the text has Vietnamese letters or reads as Vietnamese typed without tone
        marks, else "en".
    """
    # One detector for the whole pipeline: retrieval expands English questions the same way.
    return "en" if is_english(text) else "vi"


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
UNCITED = {
    "vi": "⚠️ Câu trả lời của mô hình không trích dẫn nguồn nào; hãy kiểm tra các đoạn bên dưới.",
    "en": "⚠️ The model's answer cites no source; check it against the passages below.",
}


def is_decline(text: str) -> bool:
    """Whether an answer text is the bot's "not covered" reply, in either language."""
    return any(decline in text for decline in DECLINE.values())
