"""Answer backends, picked by `Settings.llm_backend` from a name → class registry.

Model backends are imported only when chosen, so that the extractive default runs without
their client libraries. A backend whose model cannot run here (`BackendUnavailable`, e.g. a
llama.cpp built for another CPU) becomes an `UnavailableBackend`: the bot still starts, and every
answer is extractive with a notice.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from bot.backends.base import AnswerBackend, BackendError, TokenCallback
from bot.backends.extractive import ExtractiveBackend
from bot.backends.unavailable import BackendUnavailable, UnavailableBackend

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "BACKENDS",
    "AnswerBackend",
    "BackendError",
    "BackendUnavailable",
    "ExtractiveBackend",
    "TokenCallback",
    "UnavailableBackend",
    "create_backend",
]

log = logging.getLogger(__name__)

# name → (module, class, the package that module needs)
BACKENDS: dict[str, tuple[str, str, str]] = {
    "extractive": ("bot.backends.extractive", "ExtractiveBackend", ""),
    "openai": ("bot.backends.openai", "OpenAIBackend", "langchain-openai"),
    "ollama": ("bot.backends.ollama", "OllamaBackend", "langchain-ollama"),
    "llamacpp": ("bot.backends.llamacpp", "LlamaCppBackend", "llama-cpp-python"),
}


def create_backend(settings: Settings) -> AnswerBackend:
    """Build the backend named by `settings.llm_backend`.

    Raises:
        ValueError: The name is not a known backend.
        ImportError: The backend's client library is not installed (with an install hint).
        ValueError: The backend's settings name no usable model (e.g. no such GGUF file).
    """
    name = settings.llm_backend
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    module_name, class_name, package = BACKENDS[name]
    if name == "extractive":
        return ExtractiveBackend(max_sentences=settings.extractive_sentences)
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"the {name!r} backend needs {package}: pip install {package} ({error})"
        ) from error
    try:
        backend: AnswerBackend = getattr(module, class_name).from_settings(settings)
    except BackendUnavailable as error:
        log.error("%s; answering extractively until restarted", error)
        return UnavailableBackend(name, settings.llm_model, str(error))
    return backend
