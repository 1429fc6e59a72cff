"""What every `brief` command shares: the user-error type, the service for --index, progress and JSON output."""
from __future__ import annotations

import argparse
import json

class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def _service(args):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(args.index))


def _progress():
    from summarizer.progress import ingest_progress

    return ingest_progress()


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _filters(args):
    from retrieval.search import SearchFilters

    if getattr(args, "council", None) or getattr(args, "date_from", None) or getattr(args, "date_to", None):
        return SearchFilters(councils=args.council or None, date_from=args.date_from, date_to=args.date_to)
    return None


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return n
