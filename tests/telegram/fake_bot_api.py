"""A small fake Telegram Bot API server on 127.0.0.1, strict where Telegram is strict.

It serves what the bot calls (getMe, getUpdates, sendMessage, editMessageText, getFile, file
downloads, …), records every request, and rejects what Telegram rejects: HTML that does not
parse under Telegram's rules ("can't parse entities"), texts over 4,096 UTF-16 units ("message is
too long"), empty texts, edits that change nothing. It can be scripted to answer 429 (with
retry_after) or 409 Conflict once.

    server = FakeBotApi(token)
    await server.start()
    ApplicationBuilder().token(token).base_url(server.base_url).base_file_url(server.file_url)
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "diplo_test_bot"
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s<>]+))?)*)\s*>"
)
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "reply_parameters",
    "commands",
    "allowed_updates",
    "entities",
    "scope",
}


class ParseError(ValueError):
    pass


def parse_telegram_html(text: str) -> str:
    """Plain text of Telegram HTML, or ParseError where Telegram would say "can't parse"."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if not match:
                raise ParseError(f"Unsupported start tag at byte offset {i}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise ParseError(f'Unsupported start tag "{name}" at byte offset {i}')
            if closing:
                if not stack or stack[-1] != name:
                    raise ParseError(f'Unmatched end tag at byte offset {i}, expected "</{name}>"')
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise ParseError(f"Unsupported HTML entity at byte offset {i}")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif char == ">":
            raise ParseError(f"Unexpected > at byte offset {i}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    text: str  # plain text as shown
    raw: str  # what the bot sent
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    edits: int = 0
    history: list[str] = field(default_factory=list)


class FakeBotApi:
    """The fake server. Start with `await start()`, stop with `await stop()`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self.messages: dict[int, list[StoredMessage]] = defaultdict(list)  # by chat
        self.files: dict[str, bytes] = {}
        self.commands: list[dict[str, Any]] = []
        self.faults: dict[str, deque[ApiError]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- scripting -----------------------------------------------------------------------
    def fail_next(
        self, method: str, code: int, description: str, retry_after: int | None = None
    ) -> None:
        """The next call of `method` gets this error instead of its answer."""
        params = {"retry_after": retry_after} if retry_after is not None else None
        self.faults[method].append(ApiError(code, description, params))

    def rate_limit_next(self, method: str, retry_after: int = 1) -> None:
        self.fail_next(
            method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )

    def conflict_next(self) -> None:
        self.fail_next(
            "getUpdates",
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
        )

    async def push_update(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        async with self._new_update:
            self._new_update.notify_all()
        return update_id

    @staticmethod
    def user(user_id: int, name: str = "User") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"{name}{user_id}"}

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = f"Group {chat_id}"
        return chat

    def _incoming(
        self, chat_id: int, user_id: int, chat_type: str, **fields: Any
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id),
            **fields,
        }

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to_bot: StoredMessage | None = None,
    ) -> int:
        """A user's text message; commands and @mentions get their entities."""
        chat_id = user_id if chat_id is None else chat_id
        entities = []
        for match in re.finditer(r"(?<!\S)(/[a-zA-Z0-9_]+(?:@\w+)?|@\w+)", text):
            kind = "bot_command" if match.group(0).startswith("/") else "mention"
            if kind == "bot_command" and match.start() != 0:
                continue
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if reply_to_bot is not None:
            fields["reply_to_message"] = {
                "message_id": reply_to_bot.message_id,
                "date": int(time.time()),
                "chat": self.chat(chat_id, chat_type),
                "from": self.bot_user(),
                "text": reply_to_bot.text,
            }
        return await self.push_update(
            {"message": self._incoming(chat_id, user_id, chat_type, **fields)}
        )

    async def send_document(
        self, user_id: int, filename: str, data: bytes, mime_type: str = "text/plain"
    ) -> int:
        file_id = f"doc{next(self._file_ids)}"
        self.files[file_id] = data
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        return await self.push_update(
            {"message": self._incoming(user_id, user_id, "private", document=document)}
        )

    async def send_sticker(self, user_id: int) -> int:
        sticker = {
            "file_id": "stk1",
            "file_unique_id": "ustk1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self.push_update(
            {"message": self._incoming(user_id, user_id, "private", sticker=sticker)}
        )

    async def press_button(self, user_id: int, message: StoredMessage, data: str) -> int:
        return await self.push_update(
            {
                "callback_query": {
                    "id": f"cq{next(self._file_ids)}",
                    "from": self.user(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": message.message_id,
                        "date": int(time.time()),
                        "chat": self.chat(message.chat_id),
                        "from": self.bot_user(),
                        "text": message.text,
                    },
                }
            }
        )

    # --- waiting -------------------------------------------------------------------------
    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def sent_to(self, chat_id: int) -> list[StoredMessage]:
        return list(self.messages.get(chat_id, []))

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> Any:
        """Wait until `predicate()` returns something truthy; return it."""

        async def loop() -> Any:
            async with self._changed:
                while True:
                    result = predicate()
                    if result:
                        return result
                    await self._changed.wait()

        return await asyncio.wait_for(loop(), timeout)

    async def wait_messages(
        self, chat_id: int, count: int, *, settled: float = 0.3, timeout: float = 20.0
    ) -> list[StoredMessage]:
        """Wait for `count` messages in a chat, then a moment more for edits to settle."""
        await self.wait_for(lambda: len(self.messages.get(chat_id, [])) >= count, timeout)
        await asyncio.sleep(settled)
        return self.sent_to(chat_id)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- HTTP ----------------------------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Diplo",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body or {})
            return params
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str) and key in JSON_FIELDS:
                    params[key] = json.loads(value)
                elif isinstance(value, str):
                    params[key] = value
                else:
                    params[key] = value.file.read()
        return params

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        record = Recorded(method, params, time.monotonic())
        self.requests.append(record)
        try:
            if self.faults.get(method):
                raise self.faults[method].popleft()
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as error:
            record.status = error.code
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            await self._notify()
            return web.json_response(body, status=error.code)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        self.requests.append(Recorded("download", {"path": file_id}, time.monotonic()))
        return web.Response(body=self.files[file_id])

    # --- methods -------------------------------------------------------------------------
    def _check_text(self, params: dict[str, Any]) -> str:
        raw = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                shown = parse_telegram_html(raw)
            except ParseError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif parse_mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        else:
            shown = raw
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(shown) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return shown

    def _message_json(self, message: StoredMessage) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat(message.chat_id),
            "from": self.bot_user(),
            "text": message.text,
        }
        if message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    async def api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user()

    async def api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    async def api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout

        def pending() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= offset]

        async with self._new_update:
            while not pending() and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(
                        self._new_update.wait(), max(0.01, deadline - time.monotonic())
                    )
                except TimeoutError:
                    break
        return pending()[:100]

    async def api_sendMessage(self, params: dict[str, Any]) -> Any:
        shown = self._check_text(params)
        chat_id = int(params["chat_id"])
        message = StoredMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids),
            text=shown,
            raw=str(params["text"]),
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
        )
        message.history.append(shown)
        self.messages[chat_id].append(message)
        return self._message_json(message)

    async def api_editMessageText(self, params: dict[str, Any]) -> Any:
        shown = self._check_text(params)
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        found = next((m for m in self.messages[chat_id] if m.message_id == message_id), None)
        if found is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if found.text == shown and found.reply_markup == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        found.text, found.raw, found.reply_markup = shown, str(params["text"]), markup
        found.parse_mode = params.get("parse_mode")
        found.edits += 1
        found.history.append(shown)
        return self._message_json(found)

    async def api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }
