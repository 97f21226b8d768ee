"""Which language a question is in, and the fixed texts the bot answers in each."""

from __future__ import annotations

import re
from typing import Literal

from knowledge.text import fold

Lang = Literal["vi", "en"]

# Letters that only Vietnamese uses among the two languages we serve.
_VI_LETTERS = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")
_WORD = re.compile(r"[a-z]+")

# Frequent syllables of Vietnamese typed without tone marks, and frequent English words: people
# who type on phones often drop the marks, and such a question must still count as Vietnamese.
_VI_TONELESS = frozenset(
    """
    ai gi nao bao nhieu khi la cua va cac nhung mot duoc trong cho voi ve nay do thi da se
    dang co khong ngay nam thang hoi nghi viet hop tac nuoc quoc te phat trien to chuc lan
    thu ket thuc vao nguoi ong ba chu tich bo truong giam doc sao the nhu tai den tu ra len
    cung
    """.split()  # noqa: SIM905
)
_EN_WORDS = frozenset(
    """
    the a an of in on at to for by with from is are was were be been what which who whom
    when where why how does did do this that it its and or many much about has have had can
    will
    """.split()  # noqa: SIM905
)


def detect_language(text: str) -> Lang:
    """Guess whether a question is Vietnamese or English.

    Args:
        text: The question.

    Returns:
        "vi" when the text has Vietnamese letters or reads as Vietnamese typed without tone
        marks, else "en".
    """
    if _VI_LETTERS.search(text.lower()):
        return "vi"
    words = _WORD.findall(fold(text))
    vi = sum(word in _VI_TONELESS for word in words)
    en = sum(word in _EN_WORDS for word in words)
    return "vi" if vi > en else "en"


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
