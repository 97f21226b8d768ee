"""What the bot says, in Vietnamese and English. HTML: only constants and escaped values here."""

from __future__ import annotations

EXAMPLE_QUESTIONS = (
    "Việt Nam đã cử bao nhiêu chuyên gia tới Liên Hợp Quốc?",
    "Việt Nam đóng góp gì cho ASEAN năm 2024?",
    "What did Vietnam contribute to UN peacekeeping?",
)

COMMANDS = (
    ("start", "Bắt đầu · Start"),
    ("help", "Hướng dẫn · Help"),
    ("ask", "Đặt câu hỏi (trong nhóm) · Ask (in groups)"),
    ("sources", "Các bài báo đang có · Articles in the knowledge base"),
    ("new", "Cuộc trò chuyện mới · Forget this conversation"),
    ("reload", "Nạp lại kho tri thức (quản trị) · Reload knowledge (admins)"),
    ("stats", "Thống kê (quản trị) · Statistics (admins)"),
)


def help_text(bot_username: str | None = None) -> str:
    """`/start` and `/help`: what the bot does, how to ask, example questions."""
    examples = "\n".join(f"• {q}" for q in EXAMPLE_QUESTIONS)
    mention = f"@{bot_username}" if bot_username else "the bot"
    return (
        "<b>Xin chào!</b> Tôi trả lời câu hỏi về ngoại giao đa phương của Việt Nam "
        "dựa trên các bài báo đã chọn lọc, kèm trích dẫn nguồn. Khi các bài báo không có "
        "câu trả lời, tôi sẽ nói rõ.\n"
        "<b>Hello!</b> I answer questions about Vietnam's multilateral diplomacy from a curated "
        "set of Vietnamese news articles, citing them. When they don't hold the answer, "
        "I say so.\n\n"
        f"<b>Ví dụ · Examples</b>\n{examples}\n\n"
        "Nhắn câu hỏi trực tiếp; trong nhóm dùng /ask hoặc nhắc tới "
        f"{mention}. · Just send a question; in groups use /ask or mention {mention}.\n"
        "/sources — các bài báo · the articles\n"
        "/new — cuộc trò chuyện mới · start over"
    )


NEW_CONVERSATION = "Đã bắt đầu cuộc trò chuyện mới. · Started a new conversation."
ASK_USAGE = "Dùng: /ask câu hỏi · Usage: /ask your question"
NOT_ADMIN = "Lệnh này chỉ dành cho quản trị viên. · This command is for administrators only."
UPLOAD_NOT_ADMIN = (
    "Chỉ quản trị viên mới thêm được bài báo. Hãy gửi câu hỏi bằng chữ.\n"
    "Only administrators can add articles. Please send your question as text."
)
MEDIA_REPLY = (
    "Tôi chỉ đọc được câu hỏi bằng chữ. Ví dụ: “Việt Nam đóng góp gì cho ASEAN?”\n"
    "I can only read text questions — e.g. “What did Vietnam contribute to ASEAN?”"
)
UNKNOWN_COMMAND = "Tôi không biết lệnh này; xem /help. · I don't know that command; see /help."
SOMETHING_WRONG = (
    "Xin lỗi, đã có lỗi xảy ra. Vui lòng thử lại sau.\n"
    "Sorry, something went wrong. Please try again later."
)
RELOAD_STARTED = "Đang nạp lại kho tri thức… · Reloading the knowledge base…"
RELOAD_BUSY = (
    "Đang có một lần nạp lại; vui lòng đợi nó xong. · A reload is already running; "
    "please wait for it to finish."
)
BUTTON_EXPIRED = "Câu trả lời này đã cũ; hãy hỏi lại. · This answer is too old; please ask again."
UPLOADING = "Đang kiểm tra và thêm tệp… · Checking and adding the file…"


def too_long(limit: int) -> str:
    return (
        f"Câu hỏi quá dài (tối đa {limit} ký tự); hãy hỏi ngắn gọn hơn. · "
        f"That question is too long (at most {limit} characters); please shorten it."
    )


def slow_down(seconds: float) -> str:
    wait = max(1, round(seconds))
    return (
        f"Bạn hỏi hơi nhanh — vui lòng đợi {wait} giây. · "
        f"You're asking a bit fast — please wait {wait} s."
    )


def reload_failed(reason: str) -> str:
    return (
        f"Nạp lại thất bại; kho tri thức cũ vẫn hoạt động. · Reload failed; the previous "
        f"knowledge keeps serving.\n{reason}"
    )


def upload_rejected(reason: str) -> str:
    return (
        f"Không thêm được tệp, không có gì thay đổi. · File not added, nothing changed.\n{reason}"
    )
