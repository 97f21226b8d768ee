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
    for citation in citations:
        assert (citation["doc_id"], citation["passage"]) in passages, citation
        assert citation["title"], citation

    if answer["backend"] == model_backend and not answer.get("fell_back"):
        unsupported = unsupported_sentences(answer)
        assert not unsupported, f"sentences their citations do not support: {unsupported}"


def unsupported_sentences(answer: dict[str, Any]) -> list[str]:
    """The sentences of a shown model answer that its cited passages do not support.

    Checked again from what the user gets (the final text, its renumbered citations, each
    citation's passage, title and date), independently of the answerer's own bookkeeping.
    """
    from bot.grounding import Grounder
    from bot.language import detect_language

    sources = [
        "\n".join(part for part in (c["title"], c["date"], c["passage"]) if part)
        for c in answer["citations"]
    ]
    grounding = Grounder(sources, detect_language(answer["question"])).ground(answer["answer"])
    return [f"{s.text.strip()} ({s.reason})" for s in grounding.removed]


def check_chat(done: subprocess.CompletedProcess[str], model_backend: str) -> None:
    """Assert that a `diplobot chat` session ended well and showed cited answers, no echoes."""
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"backend: {model_backend}" in done.stderr
    assert "Nguồn / Sources:" in done.stdout and "[1]" in done.stdout
    for echo in PROMPT_ECHOES:
        assert echo not in done.stdout, f"prompt echo {echo!r} reached the console"
    assert "Traceback" not in done.stderr
