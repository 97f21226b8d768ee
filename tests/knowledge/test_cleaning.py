"""What the cleaner keeps and cuts, on each seed page and on a made-up page of another site."""

from pathlib import Path

import pytest

from knowledge.cleaning import clean_page

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_body(stem: str) -> str:
    return clean_page((SEEDS / f"{stem}.txt").read_text(encoding="utf-8")).body


# (seed, sentences of the article body that must stay, page furniture that must go)
CASES = [
    (
        "000_1edd030f7ec0b719",
        ["khoảng hơn 100 đoàn đại biểu", "Phát biểu tại Phiên toàn thể ngày 20/3/2019"],
        [
            "Có thể bạn quan tâm",
            "Tin khác",
            "Tin mới 30/12/2025",
            "Ảnh: B.N.G",
            "Khai trương Báo Nhân Dân",
            "Tiếp tục thúc đẩy quan hệ song phương giữa Việt Nam và Ai Cập",
        ],
    ),
    (
        "001_2ae7da9abcac9c8e",
        ["Ngày 22/3, Hội nghị Cao cấp", "châu Phi", "Mỹ Latin"],
        ["Phản hồi", "Vui lòng nhập bình luận", "Chia sẻ", "ảnh 1", "Ảnh: VTV"],
    ),
    (
        "002_886e4fd56b968efe",
        [
            "Thành lập từ năm 1947",
            "Trung tâm phát triển Kinh tế-Xã hội",
            "53 thành viên chính thức",
        ],
        [
            "xổ số",
            "Vietlott",
            "Đọc thêm",
            "Bài viết cùng chủ đề",
            "Theo dõi Baoquocte.vn",
            "Ảnh: Tuấn Anh",
            "ngoại giao vaccine",
            "Bộ trưởng Ngoại giao Lào",
            "Monash",
            "Phiên bản di động",
        ],
    ),
    (
        "003_c8451befbca57b5d",
        ["5 báo cáo tham luận", "ScaleX", "RCEP"],
        [],
    ),
    (
        "004_f8f553ef907eccfd",
        ["Dushanbe", "GIZ", "Tuyên bố ý định (SoI)"],
        ["Nguồn:"],
    ),
]


@pytest.mark.parametrize(("stem", "kept", "cut"), CASES, ids=[c[0][:3] for c in CASES])
def test_seed_body_keeps_article_and_cuts_furniture(stem, kept, cut):
    body = seed_body(stem)
    for sentence in kept:
        assert sentence in body
    for furniture in cut:
        assert furniture not in body


def test_title_is_not_repeated_in_the_body():
    page = clean_page((SEEDS / "002_886e4fd56b968efe.txt").read_text(encoding="utf-8"))
    assert page.title.startswith("Bộ trưởng Ngoại giao Bùi Thanh Sơn hội đàm")
    assert page.title not in page.body
    assert page.author == "Bảo Chi"


def test_a_page_from_another_site_is_cleaned_the_same_way():
    page = "\n".join(
        [
            "Việt Nam tham dự Diễn đàn khu vực ASEAN lần thứ 31",
            "Trang chủ",
            "Thời sự | Thế giới | Kinh tế",
            "Minh Anh",
            "Ngày 27/7, tại Vientiane, Bộ trưởng Ngoại giao đã dẫn đầu đoàn Việt Nam tham dự "
            "Diễn đàn khu vực ASEAN (ARF) lần thứ 31 với sự tham gia của 27 nước thành viên.",
            "Các bên đã trao đổi về tình hình khu vực và quốc tế, nhấn mạnh vai trò trung tâm của "
            "ASEAN trong cấu trúc khu vực đang định hình.",
            "Toàn cảnh phiên họp. (Ảnh: TTXVN)",
            "Tin liên quan",
            "Giá vàng hôm nay tăng mạnh",
            "Giá vàng hôm nay tăng mạnh",
            "Kết quả xổ số miền Bắc hôm nay ngày 27/7 đầy đủ và nhanh nhất cho bạn đọc theo dõi.",
        ]
    )
    cleaned = clean_page(page)
    assert cleaned.title.startswith("Việt Nam tham dự Diễn đàn khu vực ASEAN")
    assert cleaned.author == "Minh Anh"
    assert "27 nước thành viên" in cleaned.body
    assert "vai trò trung tâm của ASEAN" in cleaned.body
    for furniture in ("Trang chủ", "Thời sự", "Ảnh: TTXVN", "Tin liên quan", "Giá vàng", "xổ số"):
        assert furniture not in cleaned.body


def test_an_empty_page_gives_an_empty_body():
    assert clean_page("").body == ""
    assert clean_page("\n\n  \n").title == ""
