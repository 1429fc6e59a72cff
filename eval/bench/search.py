"""Benchmark: search latency on a real index, and exact vs approximate (HNSW) at 10^5 chunks.

Usage: python -m eval.bench.search --index DIR [--grow 100000]
Latency includes embedding the query. Recall@10 of HNSW is measured against the exact index on real queries.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from retrieval.store import build_faiss
from summarizer.service import BriefService
from summarizer.settings import Settings

DEV = Path(__file__).resolve().parent / "datasets" / "dev.jsonl"


def queries() -> list[str]:
    qs = [json.loads(l)["question"] for l in DEV.read_text().splitlines() if l.strip()]
    return qs + [f"What did inspectors find about {t}?" for t in (
        "care leavers", "caseloads", "management oversight", "return home interviews", "the front door",
        "child protection plans", "agency staff", "leadership", "early help", "private fostering")]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=".brief/index")
    ap.add_argument("--grow", type=int, default=100_000)
    args = ap.parse_args()
    svc = BriefService(Settings.from_env(args.index))
    r = svc.retriever
    qs = queries()
    svc.search(qs[0])  # warm: load the embedder
    lat = []
    for q in qs:
        t = time.perf_counter()
        svc.search(q)
        lat.append((time.perf_counter() - t) * 1000)
    out = {"index": args.index, "chunks": len(r.snap.chunks), "queries": len(qs),
           "search_ms_p50": round(statistics.median(lat), 1), "search_ms_p95": round(pct(lat, 0.95), 1)}

    # grow synthetically to args.grow vectors: real vectors plus small noise, renormalised
    rng = np.random.default_rng(0)
    base = r.snap.vectors
    reps = int(np.ceil(args.grow / len(base)))
    big = np.concatenate([base + rng.normal(0, 0.02, base.shape).astype("float32") for _ in range(reps)])[: args.grow]
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    qv = svc.embedder.encode(qs)
    s = svc.settings.retrieval
    for kind, exact_max in (("flat", len(big)), ("hnsw", 0)):
        t = time.perf_counter()
        index = build_faiss(big, exact_max, s.hnsw_m, s.hnsw_ef_search)
        build_s = time.perf_counter() - t
        lat = []
        for q in qs:
            t = time.perf_counter()
            v = svc.embedder.encode_query(q)
            index.search(v[None, :], 50)
            lat.append((time.perf_counter() - t) * 1000)
        _, ids = index.search(qv, 10)
        out[kind] = {"vectors": len(big), "build_s": round(build_s, 1), "ms_p50": round(statistics.median(lat), 1),
                     "ms_p95": round(pct(lat, 0.95), 1), "ids": ids}
    exact, approx = out["flat"].pop("ids"), out["hnsw"].pop("ids")
    out["hnsw"]["recall@10_vs_exact"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])), 4)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
