"""What must hold for every answer, whatever the model wrote (on `Answer.to_dict()` output)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

CITATION = re.compile(r"\[(\d+)\]")
# Pieces of the prompt format a base model copies back; none may reach the user.
PROMPT_ECHOES = ("<source", "</source", "Question:", "<start_of_turn>", "<think>")


def check_answer(answer: dict[str, Any], timeout: float, model_backend: str) -> None:
    """Assert that `answer` is cited from its sources, or declined, or a fallback with a notice.

    Args:
        answer: One answer as `ask --json` prints it.
        timeout: `LLM_TIMEOUT`; the answer must have taken at most 2 s more.
        model_backend: The backend the bot was configured with (`openai`, `llamacpp`).
    """
    text = answer["answer"]
    assert isinstance(text, str) and text.strip(), answer
    assert answer["timings_ms"]["total"] <= (timeout + 2) * 1000, answer["timings_ms"]
    for echo in (*PROMPT_ECHOES, "Sources:"):  # the bot's own source list is not in the text
        assert echo not in text, f"prompt echo {echo!r} reached the user: {text!r}"
    assert answer["backend"] in (model_backend, "extractive"), answer["backend"]
    if answer["answered"] or "model_declined" in answer["flags"]:
        # The model was asked (retrieval found an answer): it must have written something, or
        # the run tested nothing but the fallback (a crashed server, a silent model).
        assert answer["model_chars"] > 0, f"the model wrote nothing: {answer['flags']}"
    if answer.get("fell_back") or answer["backend"] == "extractive":
        # The model's answer was not used: the user is told so.
        assert answer["notice"], f"an extractive fallback without a notice: {answer}"
    if not answer["answered"]:
        assert not answer["citations"], answer
        return

    # An answer is never shown without a valid citation; numbers are 1..k, all of them used.
    citations = answer["citations"]
    assert citations, f"an answer without sources: {answer}"
    numbers = [c["n"] for c in citations]
    assert numbers == list(range(1, len(citations) + 1)), numbers
    cited = {int(n) for n in CITATION.findall(text)}
    assert cited == set(numbers), (cited, numbers, text)
    # Each source is one of the passages retrieved for this question, with its metadata.
    passages = {(p["doc_id"], p["text"]) for p in answer["passages"]}
    for citation in citations:  # one entry an article, with each of its passages cited
        for passage in citation["passage"].split("\n…\n"):
            assert (citation["doc_id"], passage) in passages, citation
        assert citation["title"], citation

    if answer["backend"] == model_backend and not answer.get("fell_back"):
        unsupported = unsupported_sentences(answer)
        assert not unsupported, f"sentences their citations do not support: {unsupported}"


def unsupported_sentences(answer: dict[str, Any], embedder: Any = None) -> list[str]:
    """The shown sentences their citations do not support (bot/review/recheck.py)."""
    from bot.review.recheck import unsupported_shown

    return unsupported_shown(answer, embedder.embed_statements if embedder else None)


def check_chat(done: subprocess.CompletedProcess[str], model_backend: str) -> None:
    """Assert that a `diplobot chat` session ended well and showed cited answers, no echoes."""
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"backend: {model_backend}" in done.stderr
    assert "Nguồn / Sources:" in done.stdout and "[1]" in done.stdout
    for echo in PROMPT_ECHOES:
        assert echo not in done.stdout, f"prompt echo {echo!r} reached the console"
    assert "Traceback" not in done.stderr
