from __future__ import annotations

import random
import re

import pytest
from fake_bot_api import parse_telegram_html

from bot.answers import Answer, Citation
from bot.telegram.rendering import (
    escape,
    render_answer,
    render_draft,
    render_passage,
    render_sources,
    split_html,
    split_plain,
    strip_tags,
    utf16_len,
)
from knowledge.records import ArticleMeta, SourceSummary

HOSTILE = '<b>bold</b> <script>x</script> & &amp; <a href="javascript:1">y</a> 1 < 2 > 0 [1]'


def citation(n: int = 1, **kw: str) -> Citation:
    values = {
        "doc_id": "doc",
        "title": "Tiêu đề <i>lạ</i> & co",
        "source": "Báo <X>",
        "date": "2024-05-01",
        "url": 'https://example.vn/a?x=1&y="2"',
        "passage": "Đoạn trích <b>đầy đủ</b> & chính xác.",
    }
    values.update(kw)
    return Citation(n=n, **values)  # type: ignore[arg-type]


def test_escape_covers_telegram_specials() -> None:
    assert escape('<a & "b">') == "&lt;a &amp; &quot;b&quot;&gt;"
    assert parse_telegram_html(escape(HOSTILE)) == HOSTILE


def test_answer_renders_hostile_text_as_text_with_linked_numbered_sources() -> None:
    answer = Answer(
        "q", HOSTILE, True, citations=[citation(1), citation(2, url="")], notice="Model <down>"
    )
    rendered = render_answer(answer)
    shown = parse_telegram_html(rendered)  # Telegram would accept it
    assert HOSTILE in shown
    assert "Model <down>" in shown
    assert "[1] Tiêu đề <i>lạ</i> & co — Báo <X>, 2024-05-01" in shown
    assert '<a href="https://example.vn/a?x=1&amp;y=&quot;2&quot;">' in rendered
    assert rendered.count("<a href") == 1, "no link without a URL; never javascript:"


def test_unsafe_urls_are_not_linked() -> None:
    rendered = render_answer(Answer("q", "t", True, citations=[citation(url="javascript:x")]))
    assert "href" not in rendered


def test_declined_answer_lists_no_sources() -> None:
    rendered = render_answer(Answer("q", "Không có trong nguồn.", False, citations=[citation()]))
    assert "Sources" not in rendered


def test_plain_rendering_has_no_markup() -> None:
    plain = render_answer(Answer("q", HOSTILE, True, citations=[citation()]), html_mode=False)
    assert plain.startswith(HOSTILE) and "https://example.vn/a" in plain


def test_passage_and_sources_parse() -> None:
    assert "Đoạn trích <b>đầy đủ</b>" in parse_telegram_html(render_passage(citation()))
    sources = [SourceSummary(ArticleMeta("d", "T <1>", "O&O", "", "2024"), 3)]
    shown = parse_telegram_html(render_sources(sources))
    assert "1 bài · articles, 3 đoạn" in shown and "T <1> — O&O, 2024 (3)" in shown
    assert "trống" in render_sources([])


def test_draft_is_escaped_and_short() -> None:
    draft = render_draft("<b>" + "x" * 5000)
    assert parse_telegram_html(draft).startswith("<b>x")
    assert utf16_len(draft) < 4096


def check_chunks(text: str, chunks: list[str], limit: int) -> None:
    assert chunks
    for chunk in chunks:
        assert utf16_len(chunk) <= limit
        parse_telegram_html(chunk)  # balanced tags, whole entities
    joined = "".join(parse_telegram_html(c) for c in chunks)
    assert re.sub(r"\s+", "", joined) == re.sub(r"\s+", "", parse_telegram_html(text))


def test_short_text_is_one_message() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert split_html("   ") == []


def test_split_long_answer_at_paragraphs_reopening_tags() -> None:
    answer = Answer(
        "q",
        "\n\n".join(f"Đoạn {i}: " + "Việt Nam & ASEAN <hợp tác> " * 30 for i in range(30)),
        True,
        citations=[citation(n) for n in range(1, 8)],
    )
    text = render_answer(answer)
    assert utf16_len(text) > 4096
    chunks = split_html(text)
    check_chunks(text, chunks, 4096)
    assert len(chunks) >= 6
    # Paragraph cuts: each chunk but the last ends at the end of a paragraph.
    for chunk in chunks[:-1]:
        assert parse_telegram_html(chunk).rstrip().endswith("<hợp tác>")


def test_split_inside_a_tag_closes_and_reopens_it() -> None:
    text = '<b>bold <a href="https://x.vn/?a=1&amp;b=2">' + "từ " * 3000 + "</a> end</b>"
    chunks = split_html(text, 1000)
    check_chunks(text, chunks, 1000)
    assert all(c.startswith("<b>") and c.endswith("</b>") for c in chunks)
    assert all('<a href="https://x.vn/?a=1&amp;b=2">' in c for c in chunks[1:-1])


def test_split_a_word_longer_than_the_limit_and_astral_characters() -> None:
    text = "<i>" + "😀" * 3000 + "&amp;" * 500 + "</i>"
    chunks = split_html(text, 1000)
    check_chunks(text, chunks, 1000)


@pytest.mark.parametrize("seed", range(30))
def test_split_random_markup(seed: int) -> None:
    rng = random.Random(seed)
    pieces = []
    for _ in range(rng.randint(50, 400)):
        word = escape(rng.choice(["Việt", "Nam", "<&>", "ASEAN", "😀", "x" * rng.randint(1, 60)]))
        tag = rng.choice(["b", "i", "code", None, None, None])
        pieces.append(f"<{tag}>{word}</{tag}>" if tag else word)
        pieces.append(rng.choice([" ", " ", "\n", "\n\n"]))
    text = "<blockquote>" + "".join(pieces) + "</blockquote>"
    limit = rng.choice([80, 200, 500, 4096])
    check_chunks(text, split_html(text, limit), limit)


def test_split_plain_and_strip_tags() -> None:
    text = "a < b & c\n\n" * 1000
    chunks = split_plain(text, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert "".join(chunks).split() == text.split()
    assert strip_tags("<b>x &amp; y</b>") == "x & y"
