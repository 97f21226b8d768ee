"""Article formats in: txt, md, html (trafilatura), pdf (pypdf); bad files out with a reason."""

from __future__ import annotations

import pytest

from knowledge.articles import load_article, parse_article
from knowledge.errors import ArticleRejected

BODY = (
    "Ngày 27/7, tại Vientiane, Bộ trưởng Ngoại giao đã dẫn đầu đoàn Việt Nam tham dự Diễn đàn "
    "khu vực ASEAN lần thứ 31 với sự tham gia của 27 nước thành viên. Các bên đã trao đổi về tình "
    "hình khu vực và quốc tế, nhấn mạnh vai trò trung tâm của ASEAN trong cấu trúc khu vực."
)


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text lines (ASCII), written by hand."""
    content = (
        "BT /F1 11 Tf 50 780 Td 14 TL "
        + " ".join("(" + line.replace("(", r"\(").replace(")", r"\)") + ") '" for line in lines)
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_txt_article_with_sidecar_metadata(tmp_path):
    (tmp_path / "arf.txt").write_text(f"Việt Nam dự ARF 31\n{BODY}\n", encoding="utf-8")
    (tmp_path / "arf.meta.json").write_text(
        '{"outlet": "VOV", "date": "2024-07-27", "url": "https://vov.vn/arf"}', encoding="utf-8"
    )
    article = load_article(tmp_path / "arf.txt")
    assert article.meta.doc_id == "arf"
    assert article.meta.title == "Việt Nam dự ARF 31"
    assert (article.meta.outlet, article.meta.date, article.meta.url) == (
        "VOV",
        "2024-07-27",
        "https://vov.vn/arf",
    )
    assert "27 nước thành viên" in article.text
    assert article.content_hash


def test_no_url_is_invented_without_metadata():
    article = parse_article("arf.md", f"# Việt Nam dự ARF 31\n\n{BODY}\n".encode())
    assert article.meta.url == ""
    assert article.meta.title == "Việt Nam dự ARF 31"


def test_html_article_body_extracted_without_navigation():
    html = f"""<html><head><title>Việt Nam dự ARF 31</title></head><body>
    <nav><a href="/">Trang chủ</a> <a href="/tg">Thế giới</a></nav>
    <article><h1>Việt Nam dự ARF 31</h1><p>{BODY}</p><p>{BODY.replace("27/7", "28/7")}</p></article>
    <aside><h3>Tin liên quan</h3>
    <ul><li><a href="/x">Giá vàng hôm nay tăng mạnh</a></li></ul></aside>
    <footer>Bản quyền thuộc về tòa soạn</footer></body></html>"""
    article = parse_article("arf.html", html.encode("utf-8"))
    assert "27 nước thành viên" in article.text
    assert "Giá vàng" not in article.text
    assert "Bản quyền" not in article.text
    assert article.meta.title == "Việt Nam dự ARF 31"


def test_pdf_article_text_is_reflowed():
    lines = [
        "Viet Nam du Dien dan khu vuc ASEAN lan thu 31",
        "Ngay 27/7, tai Vientiane, Bo truong Ngoai giao da dan dau doan Viet Nam tham du",
        "Dien dan khu vuc ASEAN lan thu 31 voi su tham gia cua 27 nuoc thanh vien.",
        "Cac ben da trao doi ve tinh hinh khu vuc va quoc te, nhan manh vai tro trung tam",
        "cua ASEAN trong cau truc khu vuc dang dinh hinh trong giai doan moi hien nay.",
    ]
    article = parse_article("arf.pdf", minimal_pdf(lines))
    assert "tham du Dien dan khu vuc ASEAN lan thu 31 voi su tham gia cua 27 nuoc" in article.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("photo.jpg", b"\xff\xd8\xff\xe0", "unsupported file type"),
        ("empty.txt", b"", "no article text"),
        ("nav.html", b"<html><body><a href='/'>Home</a></body></html>", "no article text"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("latin1.txt", "Hội nghị".encode("cp1258", errors="ignore") + b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(name, data, reason):
    with pytest.raises(ArticleRejected, match=reason):
        parse_article(name, data)
