"""Batch generation of structured summaries: resumable, idempotent, N requests at once, progress with ETA and tok/s."""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from retrieval.store import StoredDocument

from summarizer.llm.backends import BackendUnavailable
from summarizer.summaries.results import ResultStore
from summarizer.summaries.schema import PROMPT_VERSION, ArticleSummary, summary_key
from summarizer.summaries.summarizer import Summarizer

log = logging.getLogger("brief.batch")

# progress(done, total, info) where info has tokens_per_s, last doc id, failed count
BatchProgress = Callable[[int, int, dict], None]


@dataclass
class BatchReport:
    total: int = 0
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None  # why the batch stopped early (server down, interrupted)
    seconds: float = 0.0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    workers: int = 1
    model_id: str = ""

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"total": self.total, "done": self.done, "skipped": self.skipped, "failed": self.failed,
                "stopped": self.stopped, "seconds": round(self.seconds, 2), "workers": self.workers,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "tokens_per_s": round(self.tokens_per_s, 2), "model_id": self.model_id,
                "seconds_per_article": round(self.seconds / len(self.done), 2) if self.done else None}


def _todo(docs: list[StoredDocument], store: ResultStore, rep: BatchReport, force: bool) -> list[StoredDocument]:
    """The documents still to summarize; those already done for this model and prompt version go to rep.skipped."""
    done_keys = set() if force else store.done_keys()
    todo = []
    for d in docs:
        if summary_key(d.hash, rep.model_id, PROMPT_VERSION) in done_keys:
            rep.skipped.append(d.id)
        else:
            todo.append(d)
    return todo


@dataclass
class _Run:
    """One batch in progress: its report (shared by the workers, under the lock) and the stop flag."""

    summarizer: Summarizer
    store: ResultStore
    rep: BatchReport
    progress: BatchProgress | None
    t0: float = field(default_factory=time.perf_counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def report(self, doc_id: str) -> None:
        """Tell progress how many documents are finished (done, failed or skipped)."""
        rep = self.rep
        if self.progress:
            rep.seconds = time.perf_counter() - self.t0
            self.progress(len(rep.done) + len(rep.failed) + len(rep.skipped), rep.total,
                          {"tokens_per_s": rep.tokens_per_s, "doc_id": doc_id, "failed": len(rep.failed)})

    def one(self, doc: StoredDocument) -> None:
        """Summarize and store one document; a failure is stored and counted, a backend that is down stops all."""
        if self.stop.is_set():
            return
        rep, model_id = self.rep, self.rep.model_id
        key = summary_key(doc.hash, model_id, PROMPT_VERSION)
        try:
            rec: ArticleSummary = self.summarizer.summarize(doc)
        except BackendUnavailable:
            self.stop.set()
            raise
        except Exception as e:  # one article failing never stops the batch
            msg = f"{type(e).__name__}: {e}"
            log.warning("summary of %s failed: %s\n%s", doc.id, msg, traceback.format_exc(limit=3))
            self.store.put_failure(key, doc.id, doc.hash, model_id, PROMPT_VERSION, msg)
            with self.lock:
                rep.failed[doc.id] = msg
            self.report(doc.id)
            return
        self.store.put(rec)
        with self.lock:
            rep.done.append(doc.id)
            rep.completion_tokens += rec.stats.completion_tokens
            rep.prompt_tokens += rec.stats.prompt_tokens
        self.report(doc.id)

    def serial(self, todo: list[StoredDocument]) -> None:
        """One document after another, stopping when the backend is down."""
        for d in todo:
            try:
                self.one(d)
            except BackendUnavailable as e:
                self.rep.stopped = str(e)
                break

    def parallel(self, todo: list[StoredDocument], workers: int) -> None:
        """``workers`` documents at once; the first backend-down error cancels the documents not started."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending = {pool.submit(self.one, d): d for d in todo}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    pending.pop(fut)
                    if fut.cancelled():
                        continue
                    exc = fut.exception()
                    if isinstance(exc, BackendUnavailable) and not self.rep.stopped:
                        self.rep.stopped = str(exc)
                        for f in pending:
                            f.cancel()


def run_batch(docs: list[StoredDocument], summarizer: Summarizer, store: ResultStore, workers: int = 1,
              progress: BatchProgress | None = None, force: bool = False) -> BatchReport:
    """Summarize docs into store, skipping those already done for this model and prompt version."""
    model_id = summarizer.backend.model_id
    if not summarizer.backend.parallel and workers > 1:
        log.warning("the %s backend serves one request at a time; running with 1 worker", summarizer.backend.name)
        workers = 1
    rep = BatchReport(total=len(docs), workers=workers, model_id=model_id)
    todo = _todo(docs, store, rep, force)
    run = _Run(summarizer, store, rep, progress)
    run.report("")
    try:
        if workers <= 1:
            run.serial(todo)
        else:
            run.parallel(todo, workers)
    except KeyboardInterrupt:
        run.stop.set()
        rep.stopped = "interrupted"
        raise
    finally:
        rep.seconds = time.perf_counter() - run.t0
    return rep
