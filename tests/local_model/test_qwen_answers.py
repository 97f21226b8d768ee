"""A real instruction-tuned model writes the answers users see: Qwen2.5-Coder-1.5B-Instruct
through llama.cpp's server, on the dev set's answerable questions (Vietnamese, English,
without tone marks, a follow-up).

Fails if the model wrote nothing, if fewer than 60% of the answered questions show the model's
own answer, if any shown sentence is unsupported by what it cites (re-checked from the reply,
exactly and by meaning), or if an English question gets an answer that is not English.
"""

from __future__ import annotations

import pytest
from answer_checks import check_answer, unsupported_sentences
from llama_helpers import (
    QWEN_ALIAS,
    QWEN_CONTEXT,
    LlamaServer,
    SeedIndex,
    dev_answerable,
    parse_json_lines,
    run_diplobot,
)

from bot.citations import strip_citations
from bot.language import text_language
from bot.review.source_words import without_source_words

pytestmark = [pytest.mark.local_model, pytest.mark.integration, pytest.mark.timeout(2400)]

TIMEOUT = 120.0  # a loaded CI machine; the README's figures are on a quiet one
MIN_OWN_SHARE = 0.6


def test_the_models_own_cited_answers_reach_the_user(
    qwen_server: LlamaServer, seed_index: SeedIndex, embedder
) -> None:
    answerable, stdin = dev_answerable()
    env = seed_index.env(
        llm_backend="openai",
        llm_base_url=qwen_server.url,
        llm_model=QWEN_ALIAS,
        llm_timeout=TIMEOUT,
        llm_max_retries=0,
        llm_max_tokens=160,
        llm_temperature=0.0,
        llm_context_tokens=QWEN_CONTEXT,
    )
    done = run_diplobot(
        seed_index, ["ask", "--batch"], env, stdin, timeout=len(answerable) * TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = parse_json_lines(done.stdout)
    assert [a["id"] for a in answers] == [item["id"] for item in answerable]

    for answer in answers:
        check_answer(answer, TIMEOUT, "openai")  # the model wrote something, every time
    answered = [a for a in answers if a["answered"]]
    own = [a for a in answered if not a["fell_back"]]
    unsupported = {a["id"]: unsupported_sentences(a, embedder) for a in own}
    by_id = {item["id"]: item for item in answerable}
    wrong_language = [
        a["answer"]
        for a in own
        # The model's words: the source sentences quoted after them are Vietnamese by design.
        if by_id[a["id"]]["lang"] == "en"
        and text_language(strip_citations(without_source_words(a["answer"]))) == "vi"
    ]
    print(
        f"{len(answers)} questions: {len(answered)} answered, {len(own)} with the model's own "
        f"answer; fallbacks: {[f for a in answers for f in a['flags'] if 'fallback' in f]}"
    )
    for a in answers:
        print(
            f"  {a['id']} {'model' if not a['fell_back'] else 'extractive'}: {a['answer'][:160]!r}"
        )
    assert not any(unsupported.values()), unsupported
    assert len(own) >= MIN_OWN_SHARE * len(answered), [a["flags"] for a in answered]
    assert not wrong_language, wrong_language
