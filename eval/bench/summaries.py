"""Benchmark batch summaries through the OpenAI-compatible HTTP backend: --workers 1 against --workers 2.

Starts llama-cpp-python's own server on 127.0.0.1 with the bundled GGUF, summarizes the given documents (article
ids from an index, or small built-in texts with --tiny) twice, and prints seconds, tokens/s and the speed-up.

    python -m eval.bench.summaries --tiny 2
    python -m eval.bench.summaries --index .brief/index 000_bb9f36d098299eb9 001_c76fbb4aff01f110
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TINY = [
    "Ofsted rated Torbay council's children's services inadequate. Inspectors found 94 assessments were late.",
    "Ofsted rated Darlington council's children's services good. Inspectors praised strong leadership.",
    "Inspectors said Tameside's caseloads remain too high. Ofsted judged the council to require improvement.",
    "Ofsted found Worcestershire's response to missing children poor. Only 61% received a return home interview.",
]


def start_server(threads: int | None = None, n_ctx: int = 4096) -> tuple[subprocess.Popen, str]:
    import httpx

    from summarizer.llm.model_files import ensure_model
    from summarizer.settings import Settings

    model = ensure_model(Settings().model.cache_dir / "models")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    threads = threads or max(1, os.cpu_count() or 1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--chat_format", "chatml", "--model_alias", "qwen"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start")


def main(argv: list[str] | None = None) -> int:
    from retrieval.pipeline import prepare
    from retrieval.records import Document
    from retrieval.settings import RetrievalSettings
    from summarizer.llm.backends import OpenAIBackend
    from summarizer.summaries.batch import run_batch
    from summarizer.summaries.results import ResultStore
    from summarizer.summaries.summarizer import Summarizer, SummaryOptions

    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--index", default=".brief/index")
    ap.add_argument("--tiny", type=int, default=0, help="use N small built-in texts instead of indexed articles")
    args = ap.parse_args(argv)
    if args.tiny:
        docs = [prepare(Document(id=f"tiny{i}", text=t, title=f"tiny {i}"), RetrievalSettings(), None)[0]
                for i, t in enumerate(TINY[: args.tiny])]
        opts = SummaryOptions(items_per_field=1, extract_tokens=200, max_repairs=0)
    else:
        from summarizer.service import BriefService
        from summarizer.settings import Settings

        svc = BriefService(Settings.from_env(args.index))
        docs = [svc.document(i) for i in args.ids]
        opts = SummaryOptions()
    proc, url = start_server()
    out = {}
    try:
        backend = OpenAIBackend(url, "qwen", timeout_s=900)
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                rep = run_batch(docs, Summarizer(backend, opts), ResultStore(Path(tmp)), workers=workers)
                out[workers] = rep.as_dict()
                print(f"workers={workers}: {rep.seconds:.1f}s for {len(rep.done)} docs, "
                      f"{rep.tokens_per_s:.2f} completion tok/s, failed {len(rep.failed)}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out["speedup_workers2"] = round(out[1]["seconds"] / out[2]["seconds"], 2) if out[2]["seconds"] else None
    print(json.dumps({k: (v if not isinstance(v, dict) else {kk: v[kk] for kk in ("seconds", "tokens_per_s", "done",
                                                                                   "failed")})
                      for k, v in out.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
