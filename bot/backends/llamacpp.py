"""A GGUF model run inside the bot's process by llama.cpp: a local model with no server at all.

    diplobot chat --backend llamacpp --model PATH.gguf
    diplobot ask --backend llamacpp --model gemma3-270m "ESCAP được thành lập năm nào?"

`gemma3-270m` and `qwen2.5-coder-1.5b` name the packaged GGUFs of the `local` extra
(bot/model_files.py). llama-cpp-python is wrapped as a small LangChain chat model, so this backend
shares the prompting, streaming, checks and fallback of the server backends (`ChatModelBackend`).

Before loading, a child process loads the model and generates one token (bot/backends/probe.py):
a llama.cpp built for another CPU dies there with SIGILL instead of in the bot, and the backend
becomes `UnavailableBackend` (extractive answers with a notice). So llama_cpp is imported only
after that check passes.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from bot.backends.chat import ChatModelBackend
from bot.backends.probe import probe_model
from bot.backends.unavailable import BackendUnavailable
from bot.model_files import cache_dir, model_path
from bot.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

__all__ = ["LlamaCppBackend", "LlamaCppChatModel", "resolve_model_path"]

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def resolve_model_path(model: str, cache: Path | None = None) -> Path:
    """The GGUF file that `DIPLOBOT_LLM_MODEL` names: a path, or a packaged model's short name
    (assembled into the model cache `cache`, `DIPLOBOT_MODEL_CACHE`, on first use).

    Raises:
        ValueError: No such file, or the packaged model cannot be had (`ModelFileError`).
    """
    return model_path(model, cache_dir(cache))


def require_llama_cpp() -> None:
    """Raise the install hint when llama-cpp-python is absent, without importing it.

    Raises:
        ImportError: llama-cpp-python is not installed.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise ImportError(
            "the 'llamacpp' backend needs llama-cpp-python: pip install llama-cpp-python "
            "(better: make install-local, a build for a portable CPU baseline)"
        )


def default_threads() -> int:
    """Threads for llama.cpp: every core the process may use.

    Reading the prompt is most of an answer's time on a small machine, and it is compute-bound:
    on 2 cores, 2 threads read it about twice as fast as llama.cpp's 1 (`bench` measures it).
    """
    return max(1, len(os.sched_getaffinity(0)))


class LlamaCppChatModel(BaseChatModel):
    """llama-cpp-python's chat completion as a LangChain chat model, streamed token by token.

    One `Llama` holds one llama.cpp context, which is not thread-safe: calls are serialised by
    `lock`. Each call also stops at `timeout` seconds (waiting for the lock included), so an
    abandoned or endless generation never keeps the model from the next question.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any = Field(exclude=True)
    lock: Any = Field(default_factory=threading.Lock, exclude=True)
    max_tokens: int = 700
    temperature: float = 0.1
    timeout: float = 60.0
    # Some chat formats (llama-cpp-python's "gemma") drop system messages; Gemma's own template
    # puts the system text at the start of the first user turn, so do the same.
    system_in_first_turn: bool = False

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def to_llama_messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        """LangChain messages as llama-cpp-python's role/content dicts."""
        converted = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        if not self.system_in_first_turn:
            return converted
        system = "\n\n".join(m["content"] for m in converted if m["role"] == "system")
        converted = [m for m in converted if m["role"] != "system"]
        if system and converted and converted[0]["role"] == "user":
            converted[0] = {"role": "user", "content": f"{system}\n\n{converted[0]['content']}"}
        elif system:
            converted.insert(0, {"role": "user", "content": system})
        return converted

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        deadline = time.monotonic() + self.timeout
        if not self.lock.acquire(timeout=self.timeout):
            raise TimeoutError(f"the llama.cpp model stayed busy for {self.timeout:g} s")
        try:
            completion = self.llama.create_chat_completion(
                messages=self.to_llama_messages(messages),
                stream=True,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature,
                repeat_penalty=1.1,  # llama.cpp's usual default; a base model loops without it
                stop=stop or [],
            )
            try:
                for part in completion:
                    delta = part["choices"][0]["delta"].get("content") or ""
                    if delta:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                        if run_manager is not None:
                            run_manager.on_llm_new_token(delta, chunk=chunk)
                        yield chunk
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the llama.cpp answer ran past {self.timeout:g} s")
            finally:
                completion.close()  # stops generating now, not when garbage-collected
        finally:
            self.lock.release()

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))


def load_llama(path: Path, n_ctx: int) -> tuple[Llama, bool]:
    """Load a GGUF file, and say whether system text must go into the first user turn.

    A GGUF with its own chat template uses it. One without falls back in llama-cpp-python to a
    Llama-2 template (a Gemma model then writes `[/INST]`), so Gemma files get "gemma".

    Raises:
        ValueError: llama.cpp could not load the file.
    """
    import llama_cpp  # only once the probe has shown that it runs on this machine

    llama = llama_cpp.Llama(
        model_path=str(path), n_ctx=n_ctx, n_threads=default_threads(), verbose=False
    )
    metadata: dict[str, str] = llama.metadata or {}
    gemma = metadata.get("general.architecture", "").startswith("gemma")
    if "tokenizer.chat_template" not in metadata and gemma:
        llama.chat_format = "gemma"
    return llama, llama.chat_format == "gemma"


class LlamaCppBackend(ChatModelBackend):
    """Answers with a GGUF model run in-process by llama.cpp (loaded once, one call at a time)."""

    name = "llamacpp"

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppBackend:
        """Check in a child process that the model runs here, then load it in this one.

        Raises:
            ImportError: llama-cpp-python is not installed.
            ValueError: The file is missing or the packaged model cannot be assembled.
            BackendUnavailable: The model cannot run here (why, and how to fix it).
        """
        require_llama_cpp()
        path = resolve_model_path(settings.llm_model, settings.model_cache)
        probe = probe_model(
            path, settings.llm_context_tokens, default_threads(), settings.llm_probe_timeout
        )
        if not probe.ok:
            raise BackendUnavailable(f"the model {path.name} cannot run here: {probe.reason}")
        started = time.perf_counter()
        try:
            llama, system_in_first_turn = load_llama(path, settings.llm_context_tokens)
        except (ValueError, OSError, RuntimeError) as error:  # e.g. out of memory since the probe
            raise BackendUnavailable(f"llama.cpp could not load {path.name}: {error}") from error
        log.info(
            "loaded %s in %.1f s (chat format %s)",
            path.name,
            time.perf_counter() - started,
            llama.chat_format,
        )
        chat_model = LlamaCppChatModel(
            llama=llama,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            system_in_first_turn=system_in_first_turn,
        )
        backend = cls(chat_model, path.name, settings.max_question_chars)
        backend.model_path = path
        return backend

    model_path: Path | None = None

    def health(self) -> dict[str, Any]:
        """The model is loaded in this process; say which file it came from."""
        return {
            "backend": self.name,
            "model": self.model,
            "ok": True,
            "path": str(self.model_path or ""),
        }
