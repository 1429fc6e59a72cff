"""`brief summarize`, `brief council`, `brief digest` and `brief summary`: structured summaries, briefings and their
exports."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ui.cli_common import UserError, _print_json, _service


def _summary_progress():
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int, info: dict) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc="summarize", unit="doc", file=sys.stderr)
        bar.n = done
        bar.set_postfix_str(f"{info.get('tokens_per_s', 0):.1f} tok/s, {info.get('failed', 0)} failed"
                            + (f", last {info['doc_id']}" if info.get("doc_id") else ""))
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_summarize(args) -> int:
    if not args.all and not args.ids:
        raise UserError("Say what to summarize: brief summarize --all, or brief summarize ID...")
    svc = _service(args)  # the backend flags are in svc.settings
    from summarizer.llm.backends import BackendUnavailable

    try:
        report = svc.summarize(None if args.all else args.ids, workers=args.workers,
                               progress=None if args.json else _summary_progress(), force=args.force)
    except KeyError as e:
        raise UserError(str(e).strip("'\"") + ". See: brief list") from None
    except BackendUnavailable as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        print("\nbrief: interrupted; finished summaries are stored. Rerun the same command to resume.",
              file=sys.stderr)
        return 130
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"{len(report.done)} summarized, {len(report.skipped)} already done, {len(report.failed)} failed "
              f"({report.seconds:.1f}s, {report.tokens_per_s:.1f} tok/s, model {report.model_id}).")
        for doc_id, err in report.failed.items():
            print(f"  failed {doc_id}: {err}", file=sys.stderr)
        print(f"Results: {svc.summaries_dir}/summaries.jsonl, summaries.sqlite, markdown/")
    if report.stopped:
        print(f"brief: stopped early: {report.stopped}", file=sys.stderr)
        return 1
    return 0 if not report.failed else 1


def cmd_council(args) -> int:
    name = " ".join(args.name).strip()
    if not name:
        raise UserError("Name a council, e.g. brief council Torbay")
    from summarizer.briefing.text import format_briefing

    svc = _service(args)
    if args.export:
        return _export(svc, args.export, "council", name)
    b = svc.council_briefing(name)
    if args.json:
        _print_json(b.as_dict())
    else:
        print(format_briefing(b))
    return 0 if b.covered else 1


def cmd_digest(args) -> int:
    from summarizer.briefing.text import format_digest

    svc = _service(args)
    if args.export:
        return _export(svc, args.export, "digest")
    d = svc.digest()
    _print_json(d) if args.json else print(format_digest(d))
    return 0


def _export(svc, out: str, what: str, name: str | None = None) -> int:
    """Write an export to out (Markdown, or HTML for a .html/.htm name): a temp file, then a rename."""
    path = Path(out)
    fmt = "html" if path.suffix.lower() in (".html", ".htm") else "md"
    try:
        text = svc.export(what, fmt, name)
    except KeyError as e:
        raise UserError(str(e).strip("'\"")) from None
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    print(f"Wrote {path} ({fmt}, {len(text):,} characters)")
    return 0


def cmd_summary(args) -> int:
    svc = _service(args)
    if args.export:
        return _export(svc, args.export, "summary", args.id)
    rec = svc.result_store().latest(args.id) if svc.summaries_dir.exists() else None
    if rec is None:
        raise UserError(f"No stored summary for {args.id!r}. Make one: brief summarize {args.id}")
    from summarizer.summaries.results import to_markdown

    _print_json(rec.model_dump()) if args.json else print(to_markdown(rec))
    return 0
