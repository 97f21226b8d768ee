"""English → Vietnamese lexicon of the domain, for English questions about diplomacy.

Dictionary query translation, the classic remedy in cross-language retrieval, now serves only
where it is measured to earn its place: retrieval lets it expand BM25 (and weigh BM25 more) for
an English question at least half of whose terms it translates (`knowledge/retrieval.py`,
`fusion_weights`): most of the seeds' English questions, 2% of XQuAD's. Applied to every English
question it cost XQuAD's English context recall 0.933 → 0.905 (README "Quality"); the relevance
decision never uses it. `DIPLOBOT_ENGLISH_GLOSSARY=false` turns it off. Language detection lives
in `knowledge/language.py`.
"""

from __future__ import annotations

import re

from knowledge.language import ENGLISH_FUNCTION_WORDS, is_english
from knowledge.text import fold, words

__all__ = ["english_concepts", "expand_query"]

# Multi-word entries first matter only for lookup order, which `_match` handles (longest first).
_LEXICON: dict[str, tuple[str, ...]] = {
    # institutions and people
    "united nations": ("liên hợp quốc", "lhq"),
    "un": ("liên hợp quốc", "lhq"),
    "secretary-general": ("tổng thư ký",),
    "secretary general": ("tổng thư ký",),
    "deputy secretary-general": ("phó tổng thư ký",),
    "executive secretary": ("thư ký điều hành",),
    "general assembly": ("đại hội đồng",),
    "security council": ("hội đồng bảo an",),
    "ministry of foreign affairs": ("bộ ngoại giao",),
    "foreign ministry": ("bộ ngoại giao",),
    "foreign minister": ("bộ trưởng ngoại giao",),
    "foreign affairs": ("ngoại giao",),
    "minister": ("bộ trưởng",),
    "deputy minister": ("thứ trưởng",),
    "vice minister": ("thứ trưởng",),
    "deputy foreign minister": ("thứ trưởng ngoại giao", "thứ trưởng"),
    "prime minister": ("thủ tướng",),
    "president": ("chủ tịch", "tổng thống"),
    "chair": ("chủ tịch", "chủ trì"),
    "chairman": ("chủ tịch",),
    "ambassador": ("đại sứ",),
    "embassy": ("đại sứ quán",),
    "director": ("giám đốc",),
    "head": ("người đứng đầu", "trưởng"),
    "government": ("chính phủ",),
    "office": ("văn phòng",),
    "agency": ("cơ quan",),
    "commission": ("ủy ban", "uỷ ban"),
    "organisation": ("tổ chức",),
    "organization": ("tổ chức",),
    "delegation": ("đoàn", "đoàn đại biểu"),
    "delegate": ("đại biểu",),
    "head of state": ("nguyên thủ quốc gia",),
    "experts": ("chuyên gia",),
    "expert": ("chuyên gia",),
    "member": ("thành viên",),
    "member state": ("quốc gia thành viên", "nước thành viên"),
    "partner": ("đối tác",),
    "partnership": ("quan hệ đối tác", "đối tác"),
    # events and acts
    "conference": ("hội nghị",),
    "summit": ("hội nghị thượng đỉnh", "cấp cao"),
    "forum": ("diễn đàn",),
    "meeting": ("cuộc họp", "hội đàm", "gặp"),
    "talks": ("hội đàm",),
    "session": ("phiên", "khóa họp"),
    "plenary": ("phiên toàn thể", "toàn thể"),
    "dialogue": ("đối thoại",),
    "side event": ("sự kiện bên lề",),
    "event": ("sự kiện",),
    "visit": ("chuyến thăm", "thăm"),
    "speech": ("phát biểu", "bài phát biểu"),
    "speak": ("phát biểu",),
    "spoke": ("phát biểu",),
    "address": ("phát biểu",),
    "attend": ("tham dự",),
    "participate": ("tham gia", "tham dự"),
    "take part": ("tham gia",),
    "host": ("chủ nhà", "chủ trì", "tổ chức"),
    "hold": ("tổ chức", "diễn ra"),
    "take place": ("diễn ra", "tổ chức", "họp tại"),
    "happen": ("diễn ra",),
    "held": ("tổ chức", "diễn ra"),
    "organise": ("tổ chức",),
    "organize": ("tổ chức",),
    "co-organise": ("đồng tổ chức",),
    "co-organize": ("đồng tổ chức",),
    "co-host": ("đồng tổ chức",),
    "sponsor": ("tài trợ", "đồng tài trợ"),
    "end": ("kết thúc", "bế mạc"),
    "close": ("bế mạc", "kết thúc"),
    "open": ("khai mạc",),
    "begin": ("bắt đầu", "khai mạc"),
    "start": ("bắt đầu",),
    "establish": ("thành lập",),
    "found": ("thành lập",),
    "create": ("thành lập", "tạo"),
    "sign": ("ký", "kí"),
    "statement of intent": ("tuyên bố ý định",),
    "statement": ("tuyên bố",),
    "declaration": ("tuyên bố",),
    "agreement": ("hiệp định", "thỏa thuận"),
    "resolution": ("nghị quyết",),
    "decision": ("quyết định",),
    "initiative": ("sáng kiến",),
    "programme": ("chương trình",),
    "program": ("chương trình",),
    "project": ("dự án",),
    "plan": ("kế hoạch",),
    "strategy": ("chiến lược",),
    "report": ("báo cáo",),
    "presentation": ("tham luận", "báo cáo", "trình bày"),
    "present": ("trình bày", "giới thiệu"),
    "introduce": ("giới thiệu",),
    "launch": ("ra mắt", "khởi động", "giới thiệu"),
    "propose": ("đề xuất", "đề nghị"),
    "proposal": ("đề xuất",),
    "call for": ("kêu gọi",),
    "call": ("kêu gọi",),
    "urge": ("kêu gọi",),
    "affirm": ("khẳng định",),
    "stress": ("nhấn mạnh",),
    "emphasise": ("nhấn mạnh",),
    "emphasize": ("nhấn mạnh",),
    "welcome": ("hoan nghênh",),
    "commit": ("cam kết",),
    "commitment": ("cam kết",),
    "support": ("hỗ trợ", "ủng hộ"),
    "assist": ("hỗ trợ",),
    "help": ("hỗ trợ", "giúp"),
    "role": ("vai trò",),
    "assign": ("giao", "trao"),
    "give": ("giao", "trao"),
    "share": ("chia sẻ",),
    "sharing": ("chia sẻ",),
    # subjects
    "cooperation": ("hợp tác",),
    "collaboration": ("hợp tác",),
    "south-south": ("nam - nam", "nam-nam", "nam – nam"),
    "south south": ("nam - nam", "nam-nam"),
    "triangular": ("ba bên", "tam giác"),
    "bilateral": ("song phương",),
    "multilateral": ("đa phương",),
    "multilateralism": ("chủ nghĩa đa phương", "đa phương"),
    "developing": ("đang phát triển",),
    "developed": ("phát triển",),
    "development": ("phát triển",),
    "centre": ("trung tâm",),
    "center": ("trung tâm",),
    "sustainable": ("bền vững",),
    "sustainable development goals": ("mục tiêu phát triển bền vững", "sdg", "sdgs"),
    "goal": ("mục tiêu",),
    "agenda": ("chương trình nghị sự", "nghị sự"),
    "climate change": ("biến đổi khí hậu",),
    "climate": ("khí hậu",),
    "energy": ("năng lượng",),
    "atomic energy": ("năng lượng nguyên tử",),
    "environment": ("môi trường",),
    "water": ("nước",),
    "disaster": ("thiên tai",),
    "finance": ("tài chính",),
    "financing": ("tài chính", "tài trợ"),
    "financial": ("tài chính",),
    "fund": ("quỹ",),
    "debt": ("nợ",),
    "investment": ("đầu tư",),
    "trade": ("thương mại",),
    "economy": ("kinh tế",),
    "economic": ("kinh tế",),
    "social": ("xã hội",),
    "industrial": ("công nghiệp",),
    "industry": ("công nghiệp",),
    "infrastructure": ("cơ sở hạ tầng",),
    "technology": ("công nghệ",),
    "innovation": ("đổi mới sáng tạo",),
    "science": ("khoa học",),
    "digital": ("số",),
    "digital transformation": ("chuyển đổi số",),
    "green transition": ("chuyển đổi xanh",),
    "circular economy": ("kinh tế tuần hoàn",),
    "artificial intelligence": ("trí tuệ nhân tạo",),
    "education": ("giáo dục",),
    "training": ("đào tạo",),
    "health": ("y tế",),
    "pandemic": ("đại dịch",),
    "vaccine": ("vaccine", "vắc xin"),
    "agriculture": ("nông nghiệp",),
    "food security": ("an ninh lương thực",),
    "security": ("an ninh",),
    "maritime": ("biển",),
    "peace": ("hòa bình",),
    "poverty": ("đói nghèo", "nghèo đói"),
    "gender": ("giới",),
    "data": ("dữ liệu",),
    "knowledge": ("kiến thức", "tri thức"),
    "platform": ("nền tảng",),
    "resource": ("nguồn lực", "tài nguyên"),
    "private sector": ("tư nhân", "khu vực tư nhân"),
    "business": ("doanh nghiệp",),
    "enterprise": ("doanh nghiệp",),
    "company": ("doanh nghiệp", "công ty"),
    "supply chain": ("chuỗi cung ứng",),
    "integration": ("hội nhập",),
    "international": ("quốc tế",),
    "regional": ("khu vực",),
    "region": ("khu vực",),
    "subregional": ("tiểu khu vực",),
    "policy": ("chính sách",),
    "foreign policy": ("chính sách đối ngoại",),
    "diplomacy": ("ngoại giao",),
    "vaccine diplomacy": ("ngoại giao vaccine",),
    "experience": ("kinh nghiệm",),
    "priority": ("ưu tiên",),
    "resilience": ("khả năng phục hồi", "phục hồi"),
    "small island developing states": ("quốc đảo nhỏ đang phát triển", "sids"),
    "high-level": ("cấp cao",),
    "high level": ("cấp cao",),
    "political": ("chính trị",),
    "voluntary national review": ("rà soát quốc gia tự nguyện", "vnr"),
    # places and groups
    "vietnam": ("việt nam",),
    "viet nam": ("việt nam",),
    "vietnamese": ("việt nam",),
    "africa": ("châu phi",),
    "african": ("châu phi",),
    "latin america": ("mỹ latin", "mỹ latinh"),
    "caribbean": ("carribe", "caribe"),
    "asia-pacific": ("châu á - thái bình dương", "châu á-thái bình dương"),
    "asia pacific": ("châu á - thái bình dương", "châu á-thái bình dương"),
    "asia": ("châu á",),
    "southeast asia": ("đông nam á",),
    "mekong": ("mekong", "mê công"),
    "china": ("trung quốc",),
    "laos": ("lào",),
    "egypt": ("ai cập",),
    "argentina": ("argentina", "ác-hen-ti-na"),
    "germany": ("đức",),
    "german": ("đức",),
    "country": ("nước", "quốc gia"),
    "nation": ("quốc gia", "nước"),
    "state": ("quốc gia", "nhà nước"),
    "global south": ("nam bán cầu",),
    "world": ("thế giới", "toàn cầu"),
    "global": ("toàn cầu",),
    # time and quantity
    "year": ("năm",),
    "anniversary": ("kỷ niệm", "năm"),
    "month": ("tháng",),
    "day": ("ngày",),
    "date": ("ngày",),
    "march": ("tháng 3",),
    "july": ("tháng 7",),
    "august": ("tháng 8",),
    "april": ("tháng 4",),
    "first": ("thứ nhất", "đầu tiên", "lần thứ 1"),
    "second": ("thứ 2", "lần thứ 2", "thứ hai"),
    "number": ("số",),
    "official": ("chính thức",),
    "associate": ("liên kết",),
    # out-of-domain words people ask about: translated so that they do not match by accident
    "weather": ("thời tiết",),
    "lottery": ("xổ số",),
    "football": ("bóng đá",),
    "price": ("giá",),
    "gold": ("vàng",),
    "stock": ("chứng khoán", "cổ phiếu"),
}

_ENTRIES = {
    fold(key): tuple(" ".join(words(v)) for v in values) for key, values in _LEXICON.items()
}
_MAX_WORDS = max(len(key.split()) for key in _ENTRIES)
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _lemma_candidates(word: str) -> list[str]:
    """The word and crude English lemmas of it (signed → sign, countries → country)."""
    out = [word]
    for suffix, replacement in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ied", "y"),
        ("ed", ""),
        ("ed", "e"),
        ("ing", ""),
        ("ing", "e"),
        ("ment", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + replacement)
    return out


def english_concepts(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """English content terms of a question with their folded Vietnamese equivalents.

    Returns (term, alternatives) pairs; alternatives include the term itself (names such as
    "ESCAP" and numbers stay as they are). Function words are left out.
    """
    tokens = _TOKEN.findall(text.lower())
    concepts: list[tuple[str, tuple[str, ...]]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_WORDS, len(tokens) - i), 0, -1):
            phrase_words = tokens[i : i + size]
            candidates = (
                [" ".join(phrase_words)] if size > 1 else _lemma_candidates(phrase_words[0])
            )
            if size > 1:
                last = _lemma_candidates(phrase_words[-1])
                candidates += [" ".join([*phrase_words[:-1], w]) for w in last[1:]]
            match = next((c for c in candidates if c in _ENTRIES), None)
            if match is not None:
                concepts.append((match, (match, *_ENTRIES[match])))
                i += size
                break
        else:
            word = tokens[i]
            if word not in ENGLISH_FUNCTION_WORDS:
                concepts.append((word, (word,)))
            i += 1
    return concepts


def expand_query(text: str) -> str:
    """An English question followed by the Vietnamese of its terms; other text unchanged."""
    if not is_english(text):
        return text
    extra = [alt for _, alts in english_concepts(text) for alt in alts[1:]]
    return f"{text} {' '.join(extra)}" if extra else text
