"""The real python-telegram-bot stack against the fake Bot API server, with fake services.

The same flows with the real knowledge base and answerer are in `test_e2e_real.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from pathlib import Path

import pytest
from fake_bot_api import BOT_ID, BOT_USERNAME, FakeBotApi, parse_telegram_html
from telegram_fakes import FakeAnswerer, FakeKnowledge
from telegram_harness import (
    ADMIN,
    TOKEN,
    USER,
    LogCapture,
    RunningBot,
    ask,
    make_bot_settings,
    running_bot,
)

from bot.telegram import texts

pytestmark = pytest.mark.timeout(60)

QUESTION = "Việt Nam đóng góp gì cho ASEAN năm 2024?"


async def test_start_registers_commands_and_greets_bilingually(bot: RunningBot) -> None:
    api = bot.api
    assert {c["command"] for c in api.commands} >= {
        "start",
        "help",
        "sources",
        "new",
        "reload",
        "stats",
        "ask",
    }
    [reply] = await ask(api, USER, "/start")
    assert "Xin chào" in reply and "Hello" in reply
    assert texts.EXAMPLE_QUESTIONS[0] in reply
    assert api.calls("deleteWebhook"), "polling bootstrap clears any webhook"


async def test_question_answered_with_citations_buttons_followup_and_passage(
    bot: RunningBot, answerer: FakeAnswerer
) -> None:
    api = bot.api
    [reply] = await ask(api, USER, QUESTION)
    assert "ASEAN" in reply and "[1]" in reply
    assert "Nguồn · Sources" in reply and "Việt Nam và ASEAN — Báo Test, 2024-05-01" in reply
    message = api.sent_to(USER)[-1]
    assert message.parse_mode == "HTML"
    assert '<a href="https://example.vn/asean?a=1&amp;b=2">' in message.raw
    sends = [r for r in api.calls("sendMessage") if int(r.params["chat_id"]) == USER]
    assert sends[-1].params["link_preview_options"] == {"is_disabled": True}
    assert api.calls("sendChatAction"), "typing… while answering"
    button = message.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button["text"] == "📄 [1]" and len(button["callback_data"]) <= 64

    # Follow-up: the answerer gets the previous turn.
    await ask(api, USER, "Còn an ninh biển thì sao?")
    question, history = answerer.calls[-1]
    assert question == "Còn an ninh biển thì sao?"
    assert [t.question for t in history] == [QUESTION]

    # The source button shows the cited passage in full.
    before = len(api.sent_to(USER))
    await api.press_button(USER, message, button["callback_data"])
    [passage] = [m.text for m in await api.wait_messages(USER, before + 1)][before:]
    assert "chủ trì nhiều sáng kiến về kết nối khu vực" in passage
    assert api.calls("answerCallbackQuery")

    # /new forgets the conversation.
    await ask(api, USER, "/new")
    await ask(api, USER, QUESTION)
    assert answerer.calls[-1][1] == ()


async def test_expired_button_is_answered_politely(bot: RunningBot) -> None:
    api = bot.api
    await ask(api, USER, QUESTION)
    message = api.sent_to(USER)[-1]
    await api.press_button(USER, message, "src:999999:1")
    await api.wait_for(lambda: api.calls("answerCallbackQuery"))
    assert api.calls("answerCallbackQuery")[-1].params["text"] == texts.BUTTON_EXPIRED


async def test_declined_question_has_no_sources(bot: RunningBot) -> None:
    [reply] = await ask(bot.api, USER, "Kết quả xổ số hôm nay?")
    assert "Not in the sources" in reply and "Sources" not in reply
    assert bot.api.sent_to(USER)[-1].reply_markup is None


async def test_hostile_model_output_is_escaped(bot: RunningBot, answerer: FakeAnswerer) -> None:
    answerer.script = lambda q: 'Xem <b>đây <script>alert(1)</script> & <a href="x">y [1]'
    [reply] = await ask(bot.api, USER, QUESTION)
    assert '<script>alert(1)</script> & <a href="x">' in reply  # shown as text, not markup
    assert not [r for r in bot.api.requests if r.status == 400]


async def test_long_answer_is_split_into_valid_messages(
    bot: RunningBot, answerer: FakeAnswerer
) -> None:
    answerer.script = lambda q: ("Đoạn văn dài <&> về ASEAN. " * 40 + "\n\n") * 12 + "[1]"
    replies = await ask(bot.api, USER, QUESTION, expect=3)
    messages = bot.api.sent_to(USER)
    assert len(messages) >= 3
    assert not [r for r in bot.api.requests if r.status == 400]
    assert all(len(m.text) <= 4096 for m in messages)
    assert messages[-1].reply_markup is not None and messages[0].reply_markup is None
    assert "Nguồn · Sources" in replies[-1]


async def test_streaming_edits_are_throttled(bot: RunningBot, answerer: FakeAnswerer) -> None:
    api = bot.api
    answerer.stream_delay = 0.02
    answerer.script = lambda q: " ".join(f"từ{i}" for i in range(80)) + " [1]"
    await api.send_text(USER, QUESTION)
    await api.wait_for(
        lambda: any("Nguồn · Sources" in m.text for m in api.sent_to(USER)), timeout=20
    )
    [message] = api.sent_to(USER)
    assert message.edits >= 2, "the draft grew by edits"
    assert "Nguồn · Sources" in message.text and message.reply_markup is not None
    times = [
        r.at
        for r in api.requests
        if r.method in {"sendMessage", "editMessageText"} and int(r.params["chat_id"]) == USER
    ]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Arrival times at the server jitter under load: bound the rate, and each gap loosely.
    assert len(times) <= (times[-1] - times[0]) / 0.3 + 2, gaps
    assert min(gaps) >= 0.3 * 0.5, gaps


async def test_streaming_backs_off_on_retry_after(bot: RunningBot, answerer: FakeAnswerer) -> None:
    api = bot.api
    answerer.stream_delay = 0.02
    answerer.script = lambda q: " ".join(f"từ{i}" for i in range(60)) + " [1]"
    for _ in range(4):  # more than AIORateLimiter's retries: the editor itself must back off
        api.rate_limit_next("editMessageText", retry_after=1)
    await api.send_text(USER, QUESTION)
    await api.wait_for(
        lambda: any("Nguồn · Sources" in m.text for m in api.sent_to(USER)), timeout=30
    )
    assert [r for r in api.calls("editMessageText") if r.status == 429]


async def test_group_questions_only_when_addressed(bot: RunningBot) -> None:
    api = bot.api
    group = -100
    await api.send_text(USER, "chuyện phiếm ASEAN Việt Nam", chat_id=group, chat_type="group")
    [reply] = await ask(
        api, USER, f"/ask@{BOT_USERNAME} {QUESTION}", chat_id=group, chat_type="group"
    )
    assert "ASEAN" in reply
    [reply] = await ask(api, USER, f"@{BOT_USERNAME} {QUESTION}", chat_id=group, chat_type="group")
    assert "[1]" in reply
    bot_message = api.sent_to(group)[-1]
    [reply] = await ask(
        api, USER, QUESTION, chat_id=group, chat_type="group", reply_to_bot=bot_message
    )
    assert "[1]" in reply
    assert len(api.sent_to(group)) == 3, "the unaddressed message got no answer"
    reply_to = api.calls("sendMessage")[-1].params["reply_parameters"]
    assert reply_to["allow_sending_without_reply"] is True
    assert BOT_ID


async def test_limits_and_media(api: FakeBotApi, tmp_path: Path) -> None:
    knowledge = FakeKnowledge()
    settings = make_bot_settings(tmp_path, api, rate_limit_per_minute=2, max_question_chars=50)
    async with running_bot(api, settings, FakeAnswerer(knowledge), knowledge):
        [reply] = await ask(api, USER, "x" * 51)
        assert reply == texts.too_long(50)
        await ask(api, USER, QUESTION)
        await ask(api, USER, QUESTION)
        [reply] = await ask(api, USER, QUESTION)
        assert "please wait" in reply
        [reply] = await ask(api, 3, QUESTION)
        assert "[1]" in reply, "another user is not limited"
        before = len(api.sent_to(USER))
        await api.send_sticker(USER)
        [reply] = [m.text for m in await api.wait_messages(USER, before + 1)][before:]
        assert reply == texts.MEDIA_REPLY
        [reply] = await ask(api, USER, "/nonsense")
        assert reply == texts.UNKNOWN_COMMAND


async def test_admin_commands_refused_to_non_admins(bot: RunningBot, run_log: LogCapture) -> None:
    for command in ("/reload", "/stats"):
        [reply] = await ask(bot.api, USER, command)
        assert reply == texts.NOT_ADMIN
    assert "Refused /reload to non-admin user 2" in run_log.text
    assert "Refused /stats to non-admin user 2" in run_log.text


async def test_reload_runs_in_a_thread_and_refuses_a_second_one(
    bot: RunningBot, knowledge: FakeKnowledge
) -> None:
    api = bot.api
    knowledge.pending["new"] = ("Bài mới", "Nội dung bài mới.")
    knowledge.hold_sync.clear()
    [started] = await ask(api, ADMIN, "/reload")
    assert started == texts.RELOAD_STARTED
    await asyncio.to_thread(knowledge.sync_started.wait, 5)
    [busy] = await ask(api, ADMIN, "/reload")
    assert busy == texts.RELOAD_BUSY
    [answer] = await ask(api, USER, QUESTION)  # questions keep being answered
    assert "[1]" in answer
    knowledge.hold_sync.set()
    messages = await api.wait_for(
        lambda: [m.text for m in api.sent_to(ADMIN) if m.text.startswith("Đã nạp lại")]
    )
    report = messages[-1]
    assert "added 1: Bài mới" in report and "unchanged 2" in report and " s" in report
    assert knowledge.syncs == 1


async def test_stats_for_admins(bot: RunningBot) -> None:
    await ask(bot.api, USER, QUESTION)
    await ask(bot.api, 3, "xổ số hôm nay thế nào")
    [stats] = await ask(bot.api, ADMIN, "/stats")
    assert "answered: 1" in stats and "declined: 1" in stats
    assert "latency_p50_ms: 5" in stats and "latency_p95_ms" in stats
    assert "backend: fake" in stats and "Backend health" in stats and "ok: True" in stats


async def test_sources_lists_the_knowledge(bot: RunningBot) -> None:
    [reply] = await ask(bot.api, USER, "/sources")
    assert "2 bài · articles" in reply
    assert "Việt Nam tại Liên Hợp Quốc — Báo Test, 2024-05-01 (1)" in reply


async def test_admin_uploads_article_then_it_is_cited(
    bot: RunningBot, knowledge: FakeKnowledge
) -> None:
    api = bot.api
    article = "Việt Nam tại APEC\nViệt Nam chủ trì diễn đàn APEC về kinh tế số năm 2025."
    before = len(api.sent_to(ADMIN))
    await api.send_document(ADMIN, "apec.txt", article.encode())
    messages = await api.wait_messages(ADMIN, before + 2)
    assert messages[before].text == texts.UPLOADING
    assert "Đã thêm · Added apec.txt" in messages[before + 1].text
    assert "added 1: Việt Nam tại APEC" in messages[before + 1].text
    assert api.calls("getFile") and api.calls("download")
    [reply] = await ask(api, USER, "Việt Nam chủ trì APEC về kinh tế số khi nào?")
    assert "Việt Nam tại APEC" in reply and "[1]" in reply


async def test_broken_and_unsupported_uploads_change_nothing(
    bot: RunningBot, knowledge: FakeKnowledge
) -> None:
    api = bot.api
    before_articles = dict(knowledge.articles)
    before = len(api.sent_to(ADMIN))
    await api.send_document(ADMIN, "report.pdf", b"this is not a pdf", "application/pdf")
    messages = await api.wait_messages(ADMIN, before + 2)
    assert "Không thêm được tệp, không có gì thay đổi" in messages[-1].text
    assert "report.pdf: not a readable PDF" in messages[-1].text
    await api.send_document(ADMIN, "virus.exe", b"MZ...", "application/octet-stream")
    messages = await api.wait_messages(ADMIN, before + 3)
    assert "unsupported type" in messages[-1].text
    assert knowledge.articles == before_articles and knowledge.syncs == 0
    # A non-admin's document is refused.
    await api.send_document(USER, "a.txt", b"hello")
    [refused] = [m.text for m in await api.wait_messages(USER, 1)]
    assert refused == texts.UPLOAD_NOT_ADMIN


async def test_twenty_users_at_once_all_answered(bot: RunningBot, answerer: FakeAnswerer) -> None:
    api = bot.api
    answerer.delay = 0.3  # each answer takes a while; they must overlap
    users = range(100, 120)
    started = asyncio.get_running_loop().time()
    for user in users:
        await api.send_text(user, QUESTION)
    await api.wait_for(
        lambda: all(any("[1]" in m.text for m in api.sent_to(u)) for u in users), timeout=30
    )
    elapsed = asyncio.get_running_loop().time() - started
    assert all(len(api.sent_to(u)) == 1 for u in users)
    assert elapsed < 20 * 0.3, "answers ran concurrently"


async def test_flood_control_429_message_still_arrives(bot: RunningBot) -> None:
    api = bot.api
    api.rate_limit_next("sendMessage", retry_after=1)
    [reply] = await ask(api, USER, QUESTION)
    assert "[1]" in reply
    statuses = [r.status for r in api.calls("sendMessage")]
    assert statuses == [429, 200]


async def test_bad_request_falls_back_to_plain_text(bot: RunningBot) -> None:
    api = bot.api
    api.fail_next("sendMessage", 400, "Bad Request: can't parse entities: test")
    [reply] = await ask(api, USER, QUESTION)
    assert "[1]" in reply and "Nguồn · Sources" in reply
    last = api.sent_to(USER)[-1]
    assert last.parse_mode is None and last.reply_markup is not None


async def test_errors_reach_the_user_without_internals(
    bot: RunningBot, answerer: FakeAnswerer, run_log: LogCapture
) -> None:
    answerer.fail_with = RuntimeError("internal detail /srv/secret/path")
    [reply] = await ask(bot.api, USER, QUESTION)
    assert reply == texts.SOMETHING_WRONG
    assert "internal detail" in run_log.text  # logged for us, not shown to them


async def test_conflict_stops_polling_with_a_clear_message(
    bot: RunningBot, run_log: LogCapture
) -> None:
    bot.api.conflict_next()
    await asyncio.wait_for(bot.conflict.wait(), 10)
    assert bot.services.conflict
    assert "409 Conflict: another instance is polling" in run_log.text


async def test_run_command_stops_on_conflict(api: FakeBotApi, tmp_path: Path) -> None:
    """`run_application` (real `run_polling`) in a subprocess exits 2 with a clear message."""
    api.conflict_next()
    script = (
        "import sys, logging\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from bot.telegram import build_application, install_secret_redaction, run_application\n"
        "from telegram_harness import make_bot_settings\n"
        "from telegram_fakes import FakeAnswerer, FakeKnowledge\n"
        "from fake_bot_api import FakeBotApi\n"
        "from pathlib import Path\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "install_secret_redaction([sys.argv[3]])\n"
        "logging.getLogger('httpx').setLevel(logging.INFO)\n"
        "api = FakeBotApi(sys.argv[3]); api.port = int(sys.argv[2])\n"
        "settings = make_bot_settings(Path(sys.argv[4]), api)\n"
        "k = FakeKnowledge()\n"
        "sys.exit(run_application(build_application(settings, FakeAnswerer(k), k), settings))\n"
    )
    here = str(Path(__file__).parent)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        here,
        str(api.port),
        TOKEN,
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=str(Path(__file__).parents[2]),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    output, _ = await asyncio.wait_for(process.communicate(), 40)
    log = output.decode()
    assert process.returncode == 2, log
    assert "409 Conflict: another instance is polling" in log
    assert TOKEN not in log and "[REDACTED]" in log
    assert len(api.calls("getUpdates")) <= 3, "stopped instead of looping"


async def test_whole_run_log_never_contains_the_token(
    api: FakeBotApi, tmp_path: Path, run_log: LogCapture
) -> None:
    knowledge = FakeKnowledge()
    answerer = FakeAnswerer(knowledge)
    async with running_bot(api, make_bot_settings(tmp_path, api), answerer, knowledge):
        await ask(api, USER, "/start")
        await ask(api, USER, QUESTION)
        await api.send_document(ADMIN, "x.txt", "Tiêu đề\nNội dung".encode())
        await api.wait_messages(ADMIN, 2)
        api.rate_limit_next("sendMessage")
        await ask(api, USER, QUESTION)
        answerer.fail_with = RuntimeError(f"boom {TOKEN}")
        await ask(api, USER, QUESTION)
    assert run_log.lines, "the run logged"
    assert "HTTP Request" in run_log.text, "httpx at INFO did log request URLs"
    assert "[REDACTED]" in run_log.text
    assert TOKEN not in run_log.text
    assert TOKEN.split(":")[1] not in run_log.text


def test_fake_server_is_strict_like_telegram() -> None:
    with pytest.raises(ValueError):
        parse_telegram_html("<b>unclosed")
    with pytest.raises(ValueError):
        parse_telegram_html("a < b")
    with pytest.raises(ValueError):
        parse_telegram_html("AT&T")
    with pytest.raises(ValueError):
        parse_telegram_html("<script>x</script>")
    assert parse_telegram_html('<a href="u?a=1&amp;b">x &lt;y&gt;</a>') == "x <y>"
