"""The in-process `llamacpp` backend: Gemma 3 270M loaded by llama-cpp-python, no server."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
from answer_checks import check_answer, check_chat
from llama_helpers import (
    TIMEOUT,
    SeedIndex,
    model_settings,
    parse_json_lines,
    require_local_extra,
    run_diplobot,
)

from bot.backends import create_backend
from bot.settings import Settings

pytestmark = [pytest.mark.local_model, pytest.mark.timeout(900)]

ESCAP_VI = "ESCAP được thành lập năm nào?"
OUT_OF_SCOPE = "Kết quả xổ số miền Bắc hôm nay là gì?"


@pytest.fixture(scope="module")
def backend():  # one model load for the module's in-process tests
    require_local_extra()
    settings = Settings(
        _env_file=None,
        llm_backend="llamacpp",
        llm_model="gemma3-270m",
        llm_max_tokens=24,
        llm_temperature=0.0,
        llm_context_tokens=2048,
    )
    return create_backend(settings)


def messages(text: str) -> list:
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage("Answer in one short sentence."), HumanMessage(text)]


def test_the_model_streams_deltas_within_max_tokens(backend) -> None:
    stream = backend.chat_model.stream(messages("Hà Nội ở đâu?"))
    chunks = [chunk.text for chunk in stream if chunk.text]
    assert len(chunks) > 3  # token by token, not one block
    assert len(chunks) <= 24  # max_tokens is honoured: one text piece per token at most
    # The GGUF has no chat template: the Gemma turn format is used, not Llama-2's.
    assert "[/INST]" not in "".join(chunks)
    assert backend.health() == {
        "backend": "llamacpp",
        "model": "gemma-3-270m-q4_k_m.gguf",
        "ok": True,
        "path": str(backend.model_path),
    }


def test_gemma_gets_the_system_text_in_its_first_turn(backend) -> None:
    # llama-cpp-python's "gemma" format drops system messages; Gemma's own template keeps them
    # at the start of the first user turn.
    converted = backend.chat_model.to_llama_messages(messages("Hà Nội ở đâu?"))
    assert converted == [
        {"role": "user", "content": "Answer in one short sentence.\n\nHà Nội ở đâu?"}
    ]


def test_calls_from_threads_take_turns(backend) -> None:
    # One llama.cpp context is not thread-safe: concurrent calls must give what calls one after
    # another give (temperature 0), not interleaved or corrupted text.
    questions = ["Hà Nội ở đâu?", "ESCAP là gì?"]
    alone = [backend.chat_model.invoke(messages(q)).text for q in questions]
    together: dict[int, str] = {}

    def answer(i: int) -> None:
        together[i] = backend.chat_model.invoke(messages(questions[i])).text

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [together[0], together[1]] == alone


def test_a_generation_past_the_timeout_is_cut(backend) -> None:
    model = backend.chat_model.model_copy(update={"timeout": 0.3, "max_tokens": 4000})
    with pytest.raises(TimeoutError):
        for _ in model.stream(messages("Kể một câu chuyện dài về Liên hợp quốc.")):
            pass
    # The lock was released: the next call runs.
    assert backend.chat_model.invoke(messages("Hà Nội ở đâu?")).text


def test_ask_json_in_process(seed_index: SeedIndex) -> None:
    settings = model_settings(llm_backend="llamacpp", llm_model="gemma3-270m")
    done = run_diplobot(seed_index, ["ask", "--json", ESCAP_VI], seed_index.env(**settings))
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    check_answer(answer, TIMEOUT, "llamacpp")
    assert answer["answered"]


def test_a_follow_up_is_answered_as_without_a_model(seed_index: SeedIndex) -> None:
    # The dev set's follow-up (d16): the extractive backend answers it, so the model's rewrite
    # of the question must not turn it into a refusal, whatever the model writes.
    turns = [
        "Ai là Giám đốc Văn phòng Liên hợp quốc về hợp tác Nam-Nam?",
        "Bà ấy giới thiệu nền tảng chia sẻ kiến thức nào?",
    ]
    stdin = json.dumps({"id": "d16", "turns": turns}, ensure_ascii=False) + "\n"
    settings = model_settings(llm_backend="llamacpp", llm_model="gemma3-270m")
    done = run_diplobot(seed_index, ["ask", "--batch"], seed_index.env(**settings), stdin)
    assert done.returncode == 0, done.stderr[-2000:]
    [answer] = parse_json_lines(done.stdout)
    check_answer(answer, TIMEOUT, "llamacpp")
    assert answer["answered"], answer["standalone_question"]
    assert "Galaxy" in answer["answer"]


def test_chat_in_process_with_a_gguf_path(seed_index: SeedIndex, gguf_path: Path) -> None:
    args = ["chat", "--backend", "llamacpp", "--model", str(gguf_path)]
    stdin = f"{ESCAP_VI}\nTổ chức này có bao nhiêu thành viên?\n{OUT_OF_SCOPE}\n/quit\n"
    done = run_diplobot(seed_index, args, seed_index.env(**model_settings()), stdin)
    check_chat(done, "llamacpp")


def test_a_missing_gguf_is_a_clear_error(seed_index: SeedIndex, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"
    args = ["ask", "--backend", "llamacpp", "--model", str(missing), ESCAP_VI]
    done = run_diplobot(seed_index, args, seed_index.env())
    assert done.returncode == 1
    assert "cannot answer" in done.stderr and str(missing) in done.stderr
    assert "gemma3-270m" in done.stderr and "Traceback" not in done.stderr


def test_without_llama_cpp_python_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Runs with or without the `local` extra: the import of llama_cpp is made to fail.
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.delitem(sys.modules, "bot.backends.llamacpp", raising=False)
    settings = Settings(_env_file=None, llm_backend="llamacpp", llm_model="x.gguf")
    with pytest.raises(ImportError, match="pip install llama-cpp-python"):
        create_backend(settings)
