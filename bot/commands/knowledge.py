"""`diplobot ingest`, `search`, `offset` and `relevance`: the knowledge base from the command
line."""

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

    relevance = subparsers.add_parser(
        "relevance",
        help="fit the answer-or-decline decision's weights for the encoder in use",
        description="Record the evidence of labelled question sets over the index in use "
        "(`features`, once per corpus), then fit the encoder's weights from them all (`fit`).",
    )
    steps = relevance.add_subparsers(dest="step", required=True)
    record = steps.add_parser(
        "features", help="the evidence of a question set's answerable and out-of-scope items"
    )
    record.add_argument("questions", type=Path, help="JSONL evaluation set over the index")
    record.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    record.set_defaults(func=run_relevance_features)
    fitting = steps.add_parser("fit", help="fit the weights from recorded evidence")
    fitting.add_argument("features", type=Path, nargs="+", help="files `features` wrote")
    fitting.add_argument(
        "--decline",
        type=float,
        default=0.95,
        help="share of out-of-scope questions to decline at the operating point (default 0.95)",
    )
    fitting.add_argument("--out", type=Path, help="file to write (default: the model's own)")
    fitting.set_defaults(func=run_relevance_fit)


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


def run_relevance_features(args: argparse.Namespace) -> int:
    from bot.evaluation import ANSWERABLE, REFUSABLE, load_items
    from knowledge import KnowledgeBase, KnowledgeError
    from knowledge.relevance import features

    try:
        items = load_items(args.questions)
        knowledge = KnowledgeBase.open(Settings())
    except (OSError, ValueError, KeyError, KnowledgeError) as error:
        print(f"cannot record the evidence: {error}", file=sys.stderr)
        return 2
    model = knowledge.embedder.name
    # Named with its folder: XQuAD's and ViQuAD's sets are both "questions.jsonl".
    set_name = f"{args.questions.resolve().parent.name}/{args.questions.stem}"
    written, skipped = 0, 0
    try:
        with args.out.open("w", encoding="utf-8") as out:
            for item in items:
                # A follow-up is searched as the question its conversation completes, which
                # only answering makes: single questions only.
                if len(item.turns) != 1 or item.kind not in (*ANSWERABLE, *REFUSABLE):
                    skipped += 1
                    continue
                _, evidence = knowledge.search_with_evidence(item.turns[0])
                if evidence is None or evidence.keywords:  # decided without the weights
                    skipped += 1
                    continue
                row = {
                    "set": set_name,
                    "id": item.id,
                    "lang": evidence.language,
                    "answerable": item.kind in ANSWERABLE,
                    "model": model,
                    "features": [round(x, 6) for x in features(evidence)],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
    except OSError as error:
        print(f"cannot write the evidence: {error}", file=sys.stderr)
        return 2
    finally:
        knowledge.close()
    print(f"{args.out}: {written} questions' evidence for {model} ({skipped} skipped)")
    if not written:
        print("no question was searched: is the index empty? (`diplobot ingest`)", file=sys.stderr)
        return 1
    return 0


def run_relevance_fit(args: argparse.Namespace) -> int:
    from knowledge.relevance import FEATURES, FOLDS, Row, fit, weights_path

    rows: list[Row] = []
    models: set[str] = set()
    try:
        for path in args.features:
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        data = json.loads(line)
                        models.add(str(data.get("model", "")))
                        rows.append(Row.from_dict(data))
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot read the evidence: {error}", file=sys.stderr)
        return 2
    if len(models) != 1:
        print(
            f"the evidence comes from {len(models)} encoders ({', '.join(sorted(models))}): "
            "fit one encoder at a time",
            file=sys.stderr,
        )
        return 2
    if not 0.5 <= args.decline < 1.0:
        print("--decline must be at least 0.5 and below 1", file=sys.stderr)
        return 2
    model = models.pop()
    report = fit(rows, model, args.decline)
    for language, why in report.skipped.items():
        print(f"{language}: not fitted ({why}); it keeps the built-in weights", file=sys.stderr)
    if not report.languages:
        return 1
    out = args.out or weights_path(model)
    try:
        out.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        print(f"cannot write the weights: {error}", file=sys.stderr)
        return 2
    print(f"{out}: weights for {model} from {len(rows)} questions ({', '.join(report.sets)})")
    print(f"{'':26}    AUC  answered  declined   ({report.decline:.2f} asked)")
    for language, result in report.languages.items():
        print(f"{language}: {result.answerable} answerable, {result.out_of_scope} out of scope")
        for label, (auc, answered, declined) in (
            ("fitted, in sample", result.fitted),
            (f"fitted, {FOLDS}-fold held out", result.held_out),
            ("built-in weights", result.built_in),
        ):
            print(f"  {label:24} {auc:6.3f} {answered:9.3f} {declined:9.3f}")
    for language, result in report.languages.items():
        terms = ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, result.weights, strict=True))
        print(f"{language}: {terms}")
    return 0
