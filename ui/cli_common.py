"""What every `brief` command shares: the user-error type, the settings and service for --index and the backend
flags, progress and JSON output."""
from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from summarizer.settings import Settings

BACKEND_KINDS = ("llama", "openai", "transformers")


class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """The model backend flags of every command that runs the model (ask, serve, summarize, eval); each overrides
    its BRIEF_* environment variable, and cli_settings checks their values."""
    g = parser.add_argument_group("model backend", "each flag overrides the BRIEF_* variable named in its help")
    g.add_argument("--backend", choices=BACKEND_KINDS,
                   help="llama (in-process llama.cpp, the default), openai (model servers) or transformers "
                        "(in-process Hugging Face model) (BRIEF_BACKEND)")
    g.add_argument("--openai-base-url", metavar="URL[,URL...]",
                   help="the model servers' base URLs, comma-separated, e.g. http://127.0.0.1:8081/v1 "
                        "(BRIEF_OPENAI_BASE_URL)")
    g.add_argument("--openai-model", metavar="NAME",
                   help="the served model name (BRIEF_OPENAI_MODEL; default: the first one the server lists)")
    g.add_argument("--openai-timeout", metavar="SECONDS",
                   help="seconds one request may take before it is retried on another server "
                        "(BRIEF_OPENAI_TIMEOUT; default 300)")
    g.add_argument("--threads", metavar="N", help="CPU threads of the in-process model (BRIEF_THREADS)")


def _base_urls(value: str) -> str:
    """--openai-base-url checked: one or more comma-separated http(s) URLs naming a host."""
    urls = [u.strip() for u in value.split(",") if u.strip()]
    bad = [u for u in urls if urlparse(u).scheme not in ("http", "https") or not urlparse(u).netloc]
    if not urls or bad:
        shown = ", ".join(repr(u) for u in bad) or repr(value)
        raise UserError(f"--openai-base-url: {shown} is not an http:// or https:// URL with a host, "
                        "e.g. http://127.0.0.1:8081/v1 (several: comma-separated)")
    return ",".join(urls)


def _positive_number(flag: str, value: str, whole: bool) -> float:
    """A flag's value as a number above 0 (a whole number when whole), else a UserError naming the flag."""
    try:
        n = int(value) if whole else float(value)
    except ValueError:
        n = 0
    if not n > 0 or not math.isfinite(n):
        kind = "a whole number of at least 1" if whole else "a number of seconds above 0"
        raise UserError(f"{flag}: expected {kind}, got {value!r}")
    return n


def apply_backend_arguments(settings: "Settings", args: argparse.Namespace) -> "Settings":
    """settings with the backend flags given in args (see add_backend_arguments) put over their environment values;
    a command without the flags leaves settings as they are."""
    b, given = settings.backend, lambda name: getattr(args, name, None) is not None
    if given("backend"):
        b.kind = args.backend
    if given("openai_base_url"):
        b.base_url = _base_urls(args.openai_base_url)
    if given("openai_model"):
        b.model = args.openai_model.strip() or None
    if given("openai_timeout"):
        b.timeout_s = _positive_number("--openai-timeout", args.openai_timeout, whole=False)
    if given("threads"):
        settings.model.n_threads = int(_positive_number("--threads", args.threads, whole=True))
    return settings


def cli_settings(args: argparse.Namespace) -> "Settings":
    """The settings a command runs with: defaults, then BRIEF_* variables, then --index and the backend flags."""
    from summarizer.settings import Settings

    try:
        settings = Settings.from_env(getattr(args, "index", None))
    except ValueError as e:  # e.g. BRIEF_OPENAI_TIMEOUT=soon
        raise UserError(f"a BRIEF_* environment variable has a bad value: {e}") from None
    settings = apply_backend_arguments(settings, args)
    if hasattr(args, "backend") and settings.backend.kind not in BACKEND_KINDS:  # a command that runs the model
        raise UserError(f"BRIEF_BACKEND={settings.backend.kind!r} is not a backend; use {', '.join(BACKEND_KINDS)}")
    return settings


def _service(args):
    from summarizer.service import BriefService

    return BriefService(cli_settings(args))


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
