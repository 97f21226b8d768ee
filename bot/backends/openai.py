"""Any OpenAI-compatible chat server: OpenAI, vLLM, llama.cpp server, LM Studio."""

from __future__ import annotations

from typing import Any

import httpx
from langchain_openai import ChatOpenAI

from bot.backends.chat import ChatModelBackend, describe
from bot.settings import Settings

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


def token_limit(settings: Settings) -> dict[str, Any]:
    """The answer's token limit, as the server at `llm_base_url` reads it.

    ChatOpenAI always sends its limit as `max_completion_tokens`, which llama.cpp's server
    ignores (it then writes until its context is full); llama.cpp, vLLM and LM Studio read
    `max_tokens`, so for any server but OpenAI's the limit goes into the body as that. OpenAI's
    own API gets `max_completion_tokens`, which its reasoning models require.
    """
    if settings.llm_base_url:
        return {"extra_body": {"max_tokens": settings.llm_max_tokens}}
    return {"max_completion_tokens": settings.llm_max_tokens}


class OpenAIBackend(ChatModelBackend):
    """Answers through `langchain_openai.ChatOpenAI` (chat completions, streamed)."""

    name = "openai"

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        """Build the backend from `llm_*` settings (base URL, model, key, timeout, retries)."""
        chat_model = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            streaming=True,
            # Local servers (vLLM, llama.cpp) speak chat completions, not the Responses API.
            use_responses_api=False,
            **token_limit(settings),
        )
        backend = cls(chat_model, settings.llm_model, settings.max_question_chars)
        backend.system_in_user = settings.llm_system_in_user
        backend.base_url = (settings.llm_base_url or DEFAULT_OPENAI_URL).rstrip("/")
        backend.api_key = settings.llm_api_key.get_secret_value()
        return backend

    base_url: str = DEFAULT_OPENAI_URL
    api_key: str = ""

    def health(self) -> dict[str, Any]:
        """List the server's models (GET /models): reachable, and is our model there."""
        report: dict[str, Any] = {"backend": self.name, "model": self.model}
        try:
            response = httpx.get(
                f"{self.base_url}/models",
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=5.0,
            )
            response.raise_for_status()
            models = [item.get("id", "") for item in response.json().get("data", [])]
        except Exception as error:
            return {**report, "ok": False, "error": describe(error)}
        return {**report, "ok": True, "model_listed": self.model in models}
