"""Speed of a local GGUF model through llama.cpp: prompt and generation tokens per second.

Reading the prompt and writing the answer are timed apart, on a prompt made of the seed
articles' text (Vietnamese, as the bot's prompts are): on 2 cores the prompt is most of an
answer's wait, and generation collapses when another process takes a core.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class ModelSpeed:
    model: str
    threads: int
    prompt_tokens: int
    prompt_tokens_per_s: float
    generated_tokens: int
    generation_tokens_per_s: float
    load_s: float
    llama_cpp: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        return (
            f"{self.model} (llama-cpp-python {self.llama_cpp}, {self.threads} threads): "
            f"prompt {self.prompt_tokens_per_s:.1f} tokens/s ({self.prompt_tokens} tokens), "
            f"generation {self.generation_tokens_per_s:.1f} tokens/s "
            f"({self.generated_tokens} tokens), load {self.load_s:.1f} s"
        )


def measure(
    path: Path, threads: int, prompt_tokens: int = 512, generated: int = 64, runs: int = 2
) -> ModelSpeed:
    """Best of `runs` timings of a fresh prompt and of `generated` greedy tokens after it."""
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=str(path), n_ctx=prompt_tokens + generated + 64, n_threads=threads,
        n_batch=512, verbose=False,
    )  # fmt: skip
    load_s = time.perf_counter() - started
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    tokens = llm.tokenize(text.encode("utf-8"))[:prompt_tokens]
    prompt_s = generation_s = float("inf")
    for _ in range(runs):
        llm.reset()  # no cached prefix: the whole prompt is read again
        started = time.perf_counter()
        llm.eval(tokens)
        prompt_s = min(prompt_s, time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(generated):
            llm.eval([llm.sample(temp=0.0)])
        generation_s = min(generation_s, time.perf_counter() - started)
    return ModelSpeed(
        model=path.name,
        threads=threads,
        prompt_tokens=len(tokens),
        prompt_tokens_per_s=len(tokens) / prompt_s,
        generated_tokens=generated,
        generation_tokens_per_s=generated / generation_s,
        load_s=load_s,
        llama_cpp=llama_cpp.__version__,
    )
