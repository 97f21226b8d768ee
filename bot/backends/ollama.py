"""A local Ollama server."""

from __future__ import annotations

from typing import Any

import httpx
from langchain_ollama import ChatOllama

from bot.backends.chat import ChatModelBackend, describe
from bot.settings import Settings

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"


class OllamaBackend(ChatModelBackend):
    """Answers through `langchain_ollama.ChatOllama` (/api/chat, streamed)."""

    name = "ollama"

    @classmethod
    def from_settings(cls, settings: Settings) -> OllamaBackend:
        """Build the backend from `llm_*` settings; the timeout goes to Ollama's httpx client."""
        chat_model = ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or DEFAULT_OLLAMA_URL,
            temperature=settings.llm_temperature,
            num_predict=settings.llm_max_tokens,
            # Ollama's own default window is small, and it silently cuts a longer prompt from
            # the start (the rules first); the answerer fits the prompt to this size.
            num_ctx=settings.llm_context_tokens,
            client_kwargs={"timeout": settings.llm_timeout},
        )
        backend = cls(chat_model, settings.llm_model, settings.max_question_chars)
        backend.system_in_user = settings.llm_system_in_user
        backend.base_url = (settings.llm_base_url or DEFAULT_OLLAMA_URL).rstrip("/")
        return backend

    base_url: str = DEFAULT_OLLAMA_URL

    def health(self) -> dict[str, Any]:
        """List the server's models (GET /api/tags): reachable, and is our model pulled."""
        report: dict[str, Any] = {"backend": self.name, "model": self.model}
        try:
            response = httpx.get(f"{self.base_url}/api/tags", timeout=5.0)
            response.raise_for_status()
            models = [item.get("name", "") for item in response.json().get("models", [])]
        except Exception as error:
            return {**report, "ok": False, "error": describe(error)}
        return {**report, "ok": True, "model_listed": self.model in models}
