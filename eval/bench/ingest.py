"""Benchmark: ingest all Ofsted reports (../shared/corpus/ofsted/reports.jsonl) into a fresh index.

Usage: python -m eval.bench.ingest [--index DIR] [--limit N]
Prints total time, chunks/s, peak memory and index size on disk as JSON.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from summarizer.progress import ingest_progress
from summarizer.service import BriefService
from summarizer.settings import Settings

REPORTS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ofsted" / "reports.jsonl"


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=None, help="where to build the index (default: a temp dir, removed after)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N reports")
    ap.add_argument("--source", default=str(REPORTS))
    args = ap.parse_args()
    src = Path(args.source)
    if args.limit:
        tmpsrc = Path(tempfile.mkdtemp()) / "reports.jsonl"
        with open(src) as f, open(tmpsrc, "w") as out:
            for i, line in enumerate(f):
                if i >= args.limit:
                    break
                out.write(line)
        src = tmpsrc
    root = Path(args.index) if args.index else Path(tempfile.mkdtemp()) / "idx"
    svc = BriefService(Settings.from_env(root))
    t0 = time.perf_counter()
    report = svc.ingest([src], rebuild=True, progress=ingest_progress())
    total = time.perf_counter() - t0
    result = {
        "documents": report.documents_total,
        "chunks": report.chunks_total,
        "refused": len(report.refused),
        "index_kind": report.index_kind,
        "total_s": round(total, 1),
        "chunks_per_s": round(report.chunks_total / total, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "index_mib": round(dir_size(root) / 2**20, 1),
        "index_dir": str(root),
    }
    print(json.dumps(result, indent=2))
    if not args.index:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
