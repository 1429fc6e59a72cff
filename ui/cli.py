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

DEFAULT_INDEX = ".brief/index"


class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def _service(args):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(args.index))


def _progress():
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="chunk" if stage == "embed" else "doc",
                                     file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _filters(args):
    from retrieval.search import SearchFilters

    if getattr(args, "council", None) or getattr(args, "date_from", None) or getattr(args, "date_to", None):
        return SearchFilters(councils=args.council or None, date_from=args.date_from, date_to=args.date_to)
    return None


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
    q = " ".join(args.query).strip()
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
    q = " ".join(args.question).strip()
    if not q:
        raise UserError("Give a question, e.g. brief ask \"Why was Darlington rated inadequate?\"")
    svc = _service(args)
    answer = None
    streaming = not args.json and sys.stdout.isatty()
    for ev in svc.ask_stream(q, _filters(args)):
        if ev.kind == "sentence" and ev.data.supported and not args.json:
            s = ev.data
            print(s.text + "".join(f" [{c}]" for c in s.citations), end=" ", flush=True)
            streaming = True
        elif ev.kind == "answer":
            answer = ev.data
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


def cmd_eval(args) -> int:
    from eval.qa import run_qa_eval

    if not args.qa:
        raise UserError("Say what to evaluate, e.g. brief eval --qa eval/datasets/dev.jsonl")
    path = Path(args.qa)
    if not path.is_file():
        raise UserError(f"No QA file at {path}")
    result = run_qa_eval(_service(args), path, limit=args.limit, out=args.out, progress=not args.json)
    if args.json:
        _print_json(result)
    else:
        from eval.qa import format_summary

        print(format_summary(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="brief", description="Grounded answers about Ofsted inspections of children's services, from your articles.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--index", default=os.environ.get("BRIEF_INDEX", DEFAULT_INDEX), metavar="DIR",
                        help=f"index directory (default {DEFAULT_INDEX})")
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
        sp.add_argument("--from", dest="date_from", help="only articles dated on/after (YYYY or YYYY-MM-DD)")
        sp.add_argument("--to", dest="date_to", help="only articles dated on/before (YYYY or YYYY-MM-DD)")
        if name == "search":
            sp.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
        else:
            sp.add_argument("-v", "--verbose", action="store_true", help="show timings and dropped sentences")
    sp = add("eval", cmd_eval, "Evaluate answers and retrieval on a QA file.")
    sp.add_argument("--qa", help="QA file (.jsonl: id, question, answerable, docs, facts)")
    sp.add_argument("--limit", type=int, help="only the first N questions")
    sp.add_argument("--out", help="write per-question results to this JSON file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from retrieval.store import IndexCorrupt

    try:
        return args.func(args)
    except UserError as e:
        print(f"brief: {e}", file=sys.stderr)
        return 2
    except IndexCorrupt as e:
        print(f"brief: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("brief: interrupted; the index on disk is unchanged unless a write had completed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
