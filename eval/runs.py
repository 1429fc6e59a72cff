"""Stored evaluation runs under eval/runs/: listing, resolving, loading, writing and comparing them.

One `RunStore` serves the CLI (`brief eval`), the web UI's Evaluate tab and the reports, so every run kind (QA runs
named by timestamp, `summaries-<timestamp>`, `checker-<timestamp>`, `checkersmoke-<timestamp>`) is found and written
the same way. Writes are atomic (a temp file, then a rename), except items.jsonl, which grows a line per question.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from eval.qa.compare import compare_results
from eval.qa.metrics import summarise

REPO = Path(__file__).resolve().parents[1]
RUNS_DIR = REPO / "eval" / "runs"

# run kind -> directory-name prefix (a QA run is named by its timestamp alone)
KIND_PREFIX = {"qa": "", "summaries": "summaries-", "checker": "checker-", "checker-smoke": "checkersmoke-"}
RESULT_FILE = {"qa": "result.json", "summaries": "result.json", "checker": "checker_result.json",
               "checker-smoke": "checker_result.json"}


# --- files of one run ---------------------------------------------------------------------------------------------

def write_json(path: Path, obj) -> None:
    """Write obj as indented JSON atomically: to a temp file beside path, then renamed over it."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def write_jsonl(path: Path, rows) -> None:
    """Write one JSON object per line atomically (temp file, then rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def read_items(path: Path) -> list[dict]:
    """Completed items of a run (items.jsonl); a line cut short by an interruption ends the list."""
    out = []
    path = Path(path)
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return out


def append_item(path: Path, rec: dict) -> None:
    """Append one scored item to items.jsonl and flush it to disk, so an interruption keeps it."""
    with Path(path).open("a", encoding="utf-8") as f:
        f.write(json.dumps(rec, default=str, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_settings(run_dir: Path) -> dict:
    """A run's settings.json ({} when it has none, e.g. a summaries or checker run)."""
    return _read_json(Path(run_dir) / "settings.json") or {}


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _count_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) if path.is_file() else 0


# --- listing ------------------------------------------------------------------------------------------------------

@dataclass
class RunInfo:
    """One stored run as a listing shows it (the web's Evaluate tab table, `brief eval --resume latest`)."""

    name: str
    path: Path
    kind: str  # "qa", "summaries", "checker", "checker-smoke"
    created: str = ""  # when it started ("YYYY-MM-DD HH:MM[:SS]"), from settings.json or result.json
    qa_file: str = ""  # the QA file it ran on (QA runs)
    n_items: int = 0  # questions scored so far (QA runs)
    summary: dict = field(default_factory=dict)  # the result's summary metrics ({} while unfinished)
    model: str = ""
    git_commit: str = ""
    git_dirty: bool = False
    finished: bool = False  # result.json is written
    unreadable: bool = False  # its JSON files could not be read

    @property
    def state(self) -> str:
        """"finished", "unfinished (N done)" or "unreadable", as the web's run table shows it."""
        if self.unreadable:
            return "unreadable"
        return "finished" if self.finished else f"unfinished ({self.n_items} done)"

    @property
    def commit(self) -> str:
        """The first 10 characters of the git commit, "+dirty" when the tree had changes."""
        c = self.git_commit[:10]
        return c + ("+dirty" if self.git_dirty and c else "")


def run_kind(d: Path) -> str | None:
    """The kind of run a directory holds, from its name and files (None: not a run, or one still being written)."""
    for kind in ("summaries", "checker-smoke", "checker"):
        if d.name.startswith(KIND_PREFIX[kind]):
            return kind if (d / RESULT_FILE[kind]).is_file() else None
    if (d / "settings.json").is_file() or (d / "result.json").is_file():
        return "qa"
    return None


def run_info(d: Path, kind: str) -> RunInfo:
    """What a listing shows of one run directory."""
    info = RunInfo(name=d.name, path=d, kind=kind)
    try:
        settings = _read_json(d / "settings.json") or {}
        result = _read_json(d / RESULT_FILE[kind])
    except (OSError, ValueError):
        info.unreadable = True
        return info
    res = result or {}
    info.finished = result is not None
    info.summary = res.get("summary") or {}
    info.created = str(settings.get("started") or res.get("date") or "")
    info.qa_file = str(settings.get("qa_file") or res.get("file") or "")
    if result is None:
        info.n_items = _count_lines(d / "items.jsonl")
    else:
        info.n_items = len(res.get("items") or []) or int(info.summary.get("questions") or 0)
    info.model = str(settings.get("model") or res.get("model") or "")
    info.git_commit = str(settings.get("git_commit") or res.get("git_commit") or "")
    info.git_dirty = bool(settings.get("git_dirty"))
    return info


# --- the store ----------------------------------------------------------------------------------------------------

class RunStore:
    """The runs under one root directory (default eval/runs)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root else RUNS_DIR

    def list(self, kind: str | None = None) -> list[RunInfo]:
        """Every stored run (or those of one kind), newest first (by the timestamp in the name, after any prefix)."""
        if not self.root.is_dir():
            return []
        found = [(d, run_kind(d)) for d in self.root.iterdir() if d.is_dir()]
        found = [(d, k) for d, k in found if k is not None and (kind is None or k == kind)]
        found.sort(key=lambda dk: (dk[0].name.removeprefix(KIND_PREFIX[dk[1]]), dk[0].name), reverse=True)
        return [run_info(d, k) for d, k in found]

    def new_run_dir(self, kind: str = "qa", *, create: bool = True) -> Path:
        """A fresh run directory named by the time (with a kind prefix, a -2, -3... suffix if taken)."""
        stamp = KIND_PREFIX[kind] + time.strftime("%Y%m%d-%H%M%S")
        d, n = self.root / stamp, 1
        while d.exists():
            n += 1
            d = self.root / f"{stamp}-{n}"
        if create:
            d.mkdir(parents=True)
        return d

    def resolve(self, ref: str | Path) -> Path:
        """A QA run directory from a path, a run name under the root, or "latest" (the newest QA run)."""
        if str(ref) == "latest":
            runs = sorted(d for d in self.root.glob("*") if (d / "settings.json").is_file())
            if not runs:
                raise FileNotFoundError(f"No runs under {self.root}")
            return runs[-1]
        p = Path(ref)
        for cand in (p, self.root / p):
            if (cand / "settings.json").is_file() or (cand / "result.json").is_file():
                return cand
        raise FileNotFoundError(f"No eval run at {ref} (looked in {p} and {self.root / p})")

    def load(self, ref: str | Path) -> dict:
        """A QA run's result; an unfinished run is scored on the questions it completed ("unfinished": True)."""
        d = self.resolve(ref)
        result = _read_json(d / "result.json")
        if result is not None:
            return result
        recs = read_items(d / "items.jsonl")
        settings = read_settings(d)
        return {"file": settings.get("qa_file"), "summary": summarise(recs), "items": recs,
                "model": settings.get("model"), "git_commit": settings.get("git_commit"), "run_dir": str(d),
                "unfinished": True}

    def save(self, run_dir: Path, result: dict, name: str = "result.json") -> Path:
        """Write a run's result JSON (atomically) into its directory; returns the file."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json(run_dir / name, result)
        return run_dir / name

    def compare(self, a: dict | str | Path, b: dict | str | Path) -> dict:
        """What improved and regressed from run a to run b (results, or run names/paths to load)."""
        return compare_results(a if isinstance(a, dict) else self.load(a), b if isinstance(b, dict) else self.load(b))
