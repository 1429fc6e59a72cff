"""The `brief` command line: ingest, search, ask, remove, list, eval, summarize, serve."""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from retrieval.settings import DEFAULT_INDEX_DIR  # noqa: E402 - light: no model or index is loaded



from ui.cli_common import (UserError, _filters, _print_json, _progress, _service,  # noqa: E402,F401
                           add_backend_arguments, cli_settings, positive_int)
from ui.cli_eval import add_eval_arguments, cmd_eval  # noqa: E402,F401
from ui.cli_summaries import cmd_council, cmd_digest, cmd_summarize, cmd_summary  # noqa: E402,F401


def cmd_ingest(args) -> int:
    svc = _service(args)
    if not args.paths:
        raise UserError("Name at least one file or folder to ingest, e.g. brief ingest data/articles")
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UserError(f"No such file or folder: {', '.join(missing)}")
    report = svc.ingest(args.paths, rebuild=args.rebuild, progress=None if args.json else _progress())
    if args.json:
        _print_json(asdict(report))
    else:
        print(f"Index {svc.index_dir}: {report.documents_total} documents, {report.chunks_total} passages "
              f"({report.index_kind or 'unchanged'} index).")
        print(f"  added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
        for issue in report.refused:
            print(f"  refused {issue.source}: {issue.message}", file=sys.stderr)
    ok = report.added or report.updated or report.unchanged
    return 0 if ok or not report.refused else 1


def cmd_remove(args) -> int:
    report = _service(args).remove(args.ids)
    if args.json:
        _print_json(asdict(report))
    else:
        for d in report.removed:
            print(f"removed {d}")
        for issue in report.refused:
            print(f"not removed {issue.source}: {issue.message}", file=sys.stderr)
    return 0 if not report.refused else 1


def cmd_list(args) -> int:
    svc = _service(args)
    docs = svc.documents()
    rows = [{"id": d.id, "title": d.title, "date": d.date, "councils": d.meta.councils,
             "kind": d.meta.inspection_kind, "judgements": sorted({j.grade for j in d.meta.judgements})} for d in docs]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']}  {r['date'] or '—':10}  {', '.join(r['councils'][:3]):30.30}  {r['title'][:60]}")
    return 0


def _hit_dict(h) -> dict:
    return {"article_id": h.chunk.doc_id, "chunk_id": h.chunk.id, "title": h.title, "date": h.date,
            "source": h.source, "score": round(h.score, 5), "dense_rank": h.dense_rank, "bm25_rank": h.bm25_rank,
            "councils": h.chunk.councils, "start": h.chunk.start, "end": h.chunk.end, "text": h.chunk.text}


def cmd_search(args) -> int:
    from summarizer.service import valid_text

    q = valid_text(" ".join(args.query).strip())
    if not q:
        raise UserError("Give a search query, e.g. brief search \"Darlington assessments\"")
    res = _service(args).search(q, args.k, _filters(args))
    if args.json:
        _print_json({"query": q, "query_councils": res.query_councils, "missing_councils": res.missing_councils,
                     "hits": [_hit_dict(h) for h in res.hits]})
        return 0
    if res.missing_councils:
        print(f"The articles don't cover {', '.join(res.missing_councils)}.")
    for i, h in enumerate(res.hits, 1):
        print(f"[{i}] {h.title} ({h.date or 'undated'}) — {h.chunk.doc_id}")
        print(textwrap.indent(textwrap.fill(h.chunk.text, 100), "    "))
    if not res.hits and not res.missing_councils:
        print("No passages matched.")
    return 0


def _print_passages(answer, only_cited: bool) -> None:
    shown = answer.cited_passages() if only_cited else answer.passages
    if not shown:
        return
    print("\nSources:" if only_cited else "\nClosest passages:")
    for p in shown:
        print(f"[{p.n}] {p.title} ({p.date or 'undated'}) — {p.doc_id}, chars {p.start}-{p.end}")
        print(textwrap.indent(textwrap.fill(p.text, 100), "    "))


def cmd_ask(args) -> int:
    from summarizer.answer.events import AnswerReady, SentenceChecked

    q = " ".join(args.question).strip()
    if not q:
        raise UserError("Give a question, e.g. brief ask \"Why was Darlington rated inadequate?\"")
    svc = _service(args)
    answer = None
    streaming = not args.json and sys.stdout.isatty()
    from summarizer.answer.question import QuestionError

    try:
        for ev in svc.ask_stream(q, _filters(args)):
            if isinstance(ev, SentenceChecked) and ev.sentence.supported and not args.json:
                s = ev.sentence
                print(s.text + "".join(f" [{c}]" for c in s.citations), end=" ", flush=True)
                streaming = True
            elif isinstance(ev, AnswerReady):
                answer = ev.answer
    except QuestionError as e:  # too long, or nothing to ask: a message and exit 2
        raise UserError(str(e)) from None
    if args.json:
        _print_json(answer.to_dict())
        return 0
    if answer.refused:
        print(answer.text)
        _print_passages(answer, only_cited=False)
    else:
        print()
        _print_passages(answer, only_cited=True)
        if args.verbose and answer.dropped:
            print("\nDropped by the checker:")
            for s in answer.dropped:
                print(f"  - {s.text} ({s.note})")
    t = answer.timings
    if args.verbose:
        print(f"\n[{t.get('total_s', 0):.1f}s total, first token {t.get('first_token_s', 0):.1f}s, "
              f"{answer.prompt_tokens} prompt tokens, P(answerable)={answer.p_answerable}]", file=sys.stderr)
    del streaming
    return 0


def cmd_serve(args) -> int:
    svc = _service(args)
    if not svc.store.exists():
        hint = "" if svc.index_dir == DEFAULT_INDEX_DIR else f" --index {svc.index_dir}"
        raise UserError(f"No index at {svc.index_dir} yet. Build it first: brief ingest{hint} data/articles")
    from ui.web import UnsafeBindError, serve

    if svc.settings.answer.warm_docs:
        svc.warm_in_background()
    try:
        serve(svc, host=args.host, port=args.port)
    except UnsafeBindError as e:
        raise UserError(str(e)) from None
    return 0


def date_arg(value: str) -> str:
    """An argparse type: YYYY, YYYY-MM or YYYY-MM-DD (a real date)."""
    import datetime as dt

    parts = value.strip().split("-")
    try:
        if not (1 <= len(parts) <= 3 and len(parts[0]) == 4):
            raise ValueError
        dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}") from None
    return value.strip()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="brief", description="Grounded answers about Ofsted inspections of children's services, from your articles.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--index", default=None, metavar="DIR",
                        help=f"index directory (default $BRIEF_INDEX, else {DEFAULT_INDEX_DIR})")
        sp.add_argument("--json", action="store_true", help="machine-readable output")
        sp.set_defaults(func=func)
        return sp

    sp = add("ingest", cmd_ingest, "Add files or folders (.txt .md .html .pdf .jsonl) to the index; unchanged files are skipped.")
    sp.add_argument("paths", nargs="*")
    sp.add_argument("--rebuild", action="store_true", help="rebuild the index from these paths only")
    sp = add("remove", cmd_remove, "Remove documents from the index by id.")
    sp.add_argument("ids", nargs="+")
    add("list", cmd_list, "List the indexed documents.")
    for name, func, help_ in (("search", cmd_search, "Hybrid (BM25 + dense) search for passages."),
                              ("ask", cmd_ask, "Answer a question from the articles, with citations.")):
        sp = add(name, func, help_)
        sp.add_argument("query" if name == "search" else "question", nargs="*")
        sp.add_argument("--council", action="append", help="only passages about this council (repeatable)")
        sp.add_argument("--from", dest="date_from", type=date_arg, help="only articles dated on/after (YYYY or YYYY-MM-DD)")
        sp.add_argument("--to", dest="date_to", type=date_arg, help="only articles dated on/before (YYYY or YYYY-MM-DD)")
        if name == "search":
            sp.add_argument("-k", type=positive_int, default=5, help="number of passages (default 5)")
        else:
            sp.add_argument("-v", "--verbose", action="store_true", help="show timings and dropped sentences")
            add_backend_arguments(sp)
    sp = add("eval", cmd_eval, "Evaluate retrieval, answers and the faithfulness checker; compare runs.")
    add_eval_arguments(sp)
    add_backend_arguments(sp)
    sp = add("summarize", cmd_summarize, "Structured summaries (JSON + SQLite + Markdown under <index>/summaries/); "
             "resumable: rerunning skips what is done.")
    sp.add_argument("ids", nargs="*", help="document ids (see brief list)")
    sp.add_argument("--all", action="store_true", help="every indexed document")
    sp.add_argument("--workers", type=positive_int, default=None, help="requests at once (openai backend; default 1)")
    sp.add_argument("--force", action="store_true", help="redo documents already summarized")
    add_backend_arguments(sp)
    for name in ("council", "brief"):
        sp = add(name, cmd_council, "Everything the corpus says about one council: timeline of inspections and "
                 "judgements, recurring weaknesses, what changed between visits, with citations.")
        sp.add_argument("name", nargs="+", help="council name, e.g. Torbay")
        sp.add_argument("--export", metavar="FILE", help="write the briefing to FILE (.md, or .html for a standalone page)")
    sp = add("digest", cmd_digest, "The corpus at a glance: councils x latest judgement x date x source, and recurring themes.")
    sp.add_argument("--export", metavar="FILE", help="write the digest to FILE (.md, or .html for a standalone page)")
    sp = add("summary", cmd_summary, "Show one document's stored structured summary, or export it.")
    sp.add_argument("id", help="document id (see brief list)")
    sp.add_argument("--export", metavar="FILE", help="write the summary to FILE (.md, or .html for a standalone page)")
    sp = add("serve", cmd_serve, "Serve the web interface (Ask, Articles, Councils, Add articles, Evaluate).")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; any other address "
                    "needs BRIEF_USERNAME and BRIEF_PASSWORD)")
    sp.add_argument("--port", type=positive_int, default=7860, help="port (default 7860)")
    add_backend_arguments(sp)
    return p


def storage_problem(e: Exception, index: Path) -> str | None:
    """A plain message for a write the disk refused (read-only, full, no permission), else None."""
    from retrieval.write_errors import IndexWriteError, write_problem

    problem = write_problem(e, index)
    return None if problem is None else str(IndexWriteError(index, problem, f"{type(e).__name__}: {e}"))


def needs_local_model(args) -> bool:
    """Whether this command will load the model file of BRIEF_MODEL_PATH (or the bundled one), so that file is checked
    first: the llama backend, or the transformers one without BRIEF_HF_MODEL; the openai backend uses the servers."""
    backend = cli_settings(args).backend
    if not (backend.kind == "llama" or (backend.kind == "transformers" and not backend.hf_model)):
        return False
    if args.command in ("ask", "serve", "summarize"):
        return True
    if args.command == "eval" and not args.compare:
        return bool(args.qa or args.resume or args.checker or (args.summaries and not args.no_checker))
    return False


def _model_problem(args, error: BaseException | None = None) -> str | None:
    """The model file's problem (before the command, or from the error it raised), else None."""
    from summarizer.llm.model_files import ModelFileError
    from summarizer.model_preflight import check_model_file, load_failure

    settings = cli_settings(args).model
    if error is None:
        issue = check_model_file(settings) if needs_local_model(args) else None
    elif isinstance(error, ModelFileError):
        return str(error)
    else:
        issue = load_failure(error, settings)
    return issue.message if issue else None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import sqlite3

    from retrieval.settings import index_dir_from_env
    from retrieval.store import IndexCorrupt
    from retrieval.write_errors import IndexWriteError
    from summarizer.llm.errors import BackendError
    from summarizer.llm.model_files import ModelFileError

    try:
        problem = _model_problem(args)
        if problem:
            raise UserError(problem)
        status = args.func(args)
        sys.stdout.flush()  # inside the try: a reader that left shows up here, not at interpreter exit
        return status
    except (UserError, IndexCorrupt, IndexWriteError, BackendError) as e:  # BackendError: the model servers failed
        print(f"brief: {e}", file=sys.stderr)
        return 2
    except (ModelFileError, ValueError) as e:
        message = _model_problem(args, e)
        if message is None:
            raise
        print(f"brief: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `brief search ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (OSError, sqlite3.OperationalError) as e:
        message = storage_problem(e, index_dir_from_env(args.index))
        if message is None:
            raise
        print(f"brief: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("brief: interrupted; the index on disk is unchanged unless a write had completed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
