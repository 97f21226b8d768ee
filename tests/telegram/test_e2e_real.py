"""The whole bot with the real knowledge base (seed articles, real encoder, embedded Chroma) and
the real extractive answerer, driven through the fake Bot API server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import ADMIN, TOKEN, USER, LogCapture, ask, make_bot_settings, running_bot

from bot.answerer import build_answerer
from bot.settings import Settings
from bot.telegram import texts
from knowledge import KnowledgeBase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTION = (
    "Hội nghị Cao cấp Liên hợp quốc lần thứ 2 về hợp tác Nam - Nam có khoảng bao nhiêu "
    "đoàn đại biểu tham dự?"
)
NEW_ARTICLE = "\n\n".join(
    [
        "Việt Nam đăng cai Diễn đàn Đại dương Xanh tại Đà Nẵng",
        "Ngày 12/9/2026, Việt Nam đăng cai Diễn đàn Đại dương Xanh tại thành phố Đà Nẵng với sự "
        "tham dự của 42 quốc gia thành viên Liên hợp quốc.",
        "Tại diễn đàn, Bộ Ngoại giao Việt Nam đề xuất sáng kiến Hành lang San hô Đông Nam Á nhằm "
        "bảo vệ các rạn san hô trong khu vực và thúc đẩy hợp tác khoa học biển giữa các nước "
        "ASEAN.",
        "Các đại biểu đánh giá cao vai trò của Việt Nam trong việc thúc đẩy hợp tác đa phương về "
        "đại dương và phát triển bền vững kinh tế biển.",
    ]
)


@pytest.fixture
def real_settings(tmp_path: Path, api: FakeBotApi) -> Settings:
    shutil.copytree(SEEDS, tmp_path / "knowledge")
    return make_bot_settings(tmp_path, api)


@pytest.fixture
def real_kb(real_settings: Settings, embedder: object) -> Iterator[KnowledgeBase]:
    knowledge = KnowledgeBase.open(real_settings, embedder=embedder)  # type: ignore[arg-type]
    yield knowledge
    knowledge.close()


async def test_real_answers_citations_uploads_and_admin(
    api: FakeBotApi, real_settings: Settings, real_kb: KnowledgeBase, run_log: LogCapture
) -> None:
    answerer = build_answerer(real_settings, real_kb)
    async with running_bot(api, real_settings, answerer, real_kb):
        # /start
        [greeting] = await ask(api, USER, "/start")
        assert "Xin chào" in greeting

        # A question answered with citations, sources and buttons.
        [reply] = await ask(api, USER, QUESTION)
        assert "100" in reply and "[1]" in reply and "Nguồn · Sources" in reply
        message = api.sent_to(USER)[-1]
        buttons = [b for row in message.reply_markup["inline_keyboard"] for b in row]
        assert buttons and all(b["callback_data"].startswith("src:") for b in buttons)

        # A follow-up gets the conversation.
        [followup] = await ask(api, USER, "Có bao nhiêu nguyên thủ quốc gia?")
        assert followup

        # A source button shows the passage in full.
        before = len(api.sent_to(USER))
        await api.press_button(USER, message, buttons[0]["callback_data"])
        [passage] = [m.text for m in await api.wait_messages(USER, before + 1)][before:]
        assert len(passage) > 100

        # Out of scope: declined, no sources.
        [declined] = await ask(api, USER, "Kết quả xổ số miền Bắc hôm nay là gì?")
        assert "Nguồn · Sources" not in declined

        # A non-admin /reload is refused; an admin one reports.
        [refused] = await ask(api, USER, "/reload")
        assert refused == texts.NOT_ADMIN
        [started, report] = await ask(api, ADMIN, "/reload", expect=2)
        assert started == texts.RELOAD_STARTED
        assert "unchanged 5" in report and "added 0" in report

        # An admin uploads a new article; the next question cites it.
        sources_before = len(real_kb.sources())
        before = len(api.sent_to(ADMIN))
        await api.send_document(ADMIN, "dai-duong-xanh.txt", NEW_ARTICLE.encode())
        messages = await api.wait_messages(ADMIN, before + 2, timeout=120)
        assert "added 1" in messages[-1].text, messages[-1].text
        assert len(real_kb.sources()) == sources_before + 1
        [cited] = await ask(api, USER, "Sáng kiến Hành lang San hô Đông Nam Á là gì?")
        assert "San hô" in cited or "san hô" in cited
        assert "Diễn đàn Đại dương Xanh" in cited.split("Nguồn · Sources")[-1]

        # A broken file: a clear reply, nothing changed.
        before = len(api.sent_to(ADMIN))
        await api.send_document(ADMIN, "broken.pdf", b"not a pdf at all", "application/pdf")
        messages = await api.wait_messages(ADMIN, before + 2, timeout=60)
        assert "Không thêm được tệp, không có gì thay đổi" in messages[-1].text
        assert "broken.pdf" in messages[-1].text
        assert len(real_kb.sources()) == sources_before + 1
        assert not (real_settings.knowledge_dir / "broken.pdf").exists()

    assert not [r for r in api.requests if r.status == 400], "Telegram accepted every message"
    assert TOKEN not in run_log.text and "[REDACTED]" in run_log.text
