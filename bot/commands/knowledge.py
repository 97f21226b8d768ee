"""`diplobot ingest`, `search` and `offset`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings
from knowledge.records import IngestReport


def register(subparsers: Any) -> None:
    ingest = subparsers.add_parser(
        "ingest", help="sync the knowledge directory into the index (incremental, atomic)"
    )
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.set_defaults(func=run_ingest)

    search = subparsers.add_parser("search", help="ranked passages for a question")
    search.add_argument("question", help="the question")
    search.add_argument("-k", type=int, default=None, help="passages to show (default: TOP_K)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(func=run_search)

    offset = subparsers.add_parser(
        "offset",
        help="fit the encoder's English→Vietnamese offset from questions asked in both languages",
    )
    offset.add_argument("questions", type=Path, help="JSONL whose ids pair up as X:en / X:vi")
    offset.add_argument("--out", type=Path, help="file to write (default: the model's own)")
    offset.set_defaults(func=run_offset)


def run_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from knowledge import KnowledgeBase, KnowledgeError
    from knowledge.ingest import unchanged_report
    from knowledge.store import GenerationStore

    settings = Settings()
    try:
        quick = unchanged_report(settings, GenerationStore(settings))
    except KnowledgeError:
        quick = None  # let the full path say what is wrong
    if quick is not None:
        print_ingest_report(args, settings, quick, str(settings.chroma_path))
        return 0
    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        knowledge = KnowledgeBase.open(settings, auto_ingest=False)
        report = knowledge.sync(progress=progress)
    except KnowledgeError as error:
        print(f"ingest failed: {error}. The previous index, if any, is unchanged.", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    print_ingest_report(args, settings, report, knowledge.store.describe())
    return 0


def print_ingest_report(
    args: argparse.Namespace, settings: Settings, report: IngestReport, where: str
) -> None:
    if args.json:
        print(json.dumps(report.__dict__, ensure_ascii=False, indent=1))
    else:
        print(f"{settings.knowledge_dir} → {where}")
        print(report.summary())
        if report.generation:
            print(f"index generation: {report.generation}")


def run_search(args: argparse.Namespace) -> int:
    from knowledge import KnowledgeBase, KnowledgeError

    settings = Settings()
    started = time.perf_counter()
    try:
        knowledge = KnowledgeBase.open(settings)
        result = knowledge.search(args.question, k=args.k)
    except KnowledgeError as error:
        print(f"search failed: {error}", file=sys.stderr)
        return 1
    total_ms = (time.perf_counter() - started) * 1000
    if args.json:
        print(
            json.dumps(
                {
                    "query": result.query,
                    "relevance": round(result.relevance, 4),
                    "covered": result.relevance >= settings.relevance_threshold,
                    "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
                    "passages": [
                        {
                            "rank": rank,
                            "doc_id": p.doc_id,
                            "title": p.chunk.meta.title,
                            "outlet": p.chunk.meta.outlet,
                            "date": p.chunk.meta.date,
                            "url": p.chunk.meta.url,
                            "position": p.chunk.position,
                            "score": round(p.score, 6),
                            "relevance": round(p.relevance, 4),
                            "dense": None if p.dense_score is None else round(p.dense_score, 4),
                            "lexical": None
                            if p.lexical_score is None
                            else round(p.lexical_score, 4),
                            "text": p.text,
                        }
                        for rank, p in enumerate(result.passages, 1)
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    verdict = "covered" if result.relevance >= settings.relevance_threshold else "NOT covered"
    search_ms = sum(result.timings_ms.values())
    print(
        f"relevance {result.relevance:.2f} ({verdict}, threshold "
        f"{settings.relevance_threshold}); search {search_ms:.0f} ms, "
        f"with loading {total_ms:.0f} ms"
    )
    for rank, p in enumerate(result.passages, 1):
        meta = p.chunk.meta
        source = " · ".join(part for part in (meta.outlet, meta.date) if part)
        print(f"\n[{rank}] score {p.score:.4f} · relevance {p.relevance:.2f} · {meta.title}")
        if source:
            print(f"    {source} · {meta.doc_id} #{p.chunk.position}")
        print("    " + p.text.replace("\n", "\n    "))
    return 0


def run_offset(args: argparse.Namespace) -> int:
    import numpy as np

    from knowledge.crosslingual import fit_offset, offset_path, question_pairs, write_offset
    from knowledge.embeddings import build_embedder

    settings = Settings()
    try:
        pairs = question_pairs(args.questions)
        embedder = build_embedder(
            settings.embedding_model, settings.embedding_backend, settings.embedding_batch_size
        )
        offset = fit_offset(embedder, pairs)
    except (OSError, ValueError) as error:
        print(f"cannot fit the offset: {error}", file=sys.stderr)
        return 2
    out = args.out or offset_path(embedder.name)
    write_offset(out, embedder.name, offset, len(pairs), args.questions.name)
    length = float(np.linalg.norm(offset))
    print(f"{out}: {embedder.name}, {len(pairs)} question pairs, offset length {length:.4f}")
    return 0
