"""The service every front end calls (CLI, web UI, eval): one code path for ingest, search and ask."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path

from retrieval.embedding import Embedder, shared_embedder
from retrieval.pipeline import Ingestor, IngestReport, Progress
from retrieval.records import SearchResult
from retrieval.search import HybridRetriever, SearchFilters
from retrieval.store import IndexStore, StoredDocument

from summarizer.answer.answerer import Answerer
from summarizer.answer.events import AskEvent
from summarizer.llm.interface import Generator
from summarizer.llm.shared import shared_llm
from summarizer.answer.records import Answer
from summarizer.settings import Settings
from summarizer.summaries.distilled import Encode

SummaryProgress = Callable[[int, int], None]  # (model calls made, calls expected), before each call
SUMMARY_FILES = ("summaries.jsonl", "summaries.sqlite", "summaries.sqlite-wal")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """text with each lone surrogate as U+FFFD. Bytes that are not UTF-8 reach Python as surrogates (a shell's argv,
    a file read with surrogateescape); no tokenizer, model or UTF-8 output takes them."""
    return _SURROGATE_RE.sub("\ufffd", text) if isinstance(text, str) else text


def expected_model_calls(doc) -> int:
    """About how many model calls a summary of doc takes: one per part of the article (one for a report's headline
    findings), one for the overview, and one per sentence labelled; regenerating a rejected item adds more."""
    try:
        from summarizer.summaries.evidence import doc_text
        from summarizer.summaries.findings import candidate_sentences
        from summarizer.summaries.report_parts import finding_spans
        from summarizer.summaries.summarizer import SummaryOptions, council_parts, split_part

        dt = doc_text(doc.text, doc.comment_start)
        if doc.meta.doc_type == "report":
            return 1 + len(candidate_sentences(dt, finding_spans(doc.text)))
        chars = SummaryOptions().part_chars
        parts = max(1, sum(len(split_part(p, dt, chars)) for p in council_parts(doc, dt)))
        return parts + 1 + len(candidate_sentences(dt, dt.allowed))
    except Exception:  # noqa: BLE001 - only an estimate for a progress bar
        return 2


def _call_counter(on_model_call: SummaryProgress, expected: int) -> Callable[[], None]:
    """A Summarizer ``on_call`` that counts model calls and tells on_model_call (calls, expected) before each one
    (expected grows with the count when the estimate was low)."""
    calls = 0
    lock = threading.Lock()

    def on_call() -> None:
        nonlocal calls, expected
        with lock:
            calls += 1
            expected = max(expected, calls)
            on_model_call(calls, expected)

    return on_call


class BriefService:
    """Owns the index, the embedder and the model for one index directory; reloads after writes."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None,
                 llm: Generator | None = None) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or shared_embedder()
        self._llm = llm
        self._retriever: HybridRetriever | None = None
        self._loaded_from: str | None = None
        self._lock = threading.RLock()
        self._findings = None

    @property
    def index_dir(self) -> Path:
        return Path(self.settings.retrieval.index_dir)

    @property
    def llm(self) -> Generator:
        if self._llm is None:
            self._llm = shared_llm(self.settings)
        return self._llm

    @cached_property
    def store(self) -> IndexStore:
        return IndexStore(self.index_dir)

    # --- index -------------------------------------------------------------------------------------
    def ingest(self, paths: list[str | Path], rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        with self._lock:
            report = Ingestor(self.settings.retrieval, self.embedder).ingest(paths, rebuild=rebuild, progress=progress)
            self._retriever = None
            return report

    def remove(self, doc_ids: list[str]) -> IngestReport:
        with self._lock:
            report = Ingestor(self.settings.retrieval, self.embedder).remove(doc_ids)
            self._retriever = None
            return report

    @property
    def retriever(self) -> HybridRetriever:
        """The loaded index, reloaded when another process has written a newer snapshot."""
        with self._lock:
            current = self.store.current_name()
            if self._retriever is None or current != self._loaded_from:
                snap, index, bm25 = self.store.load(self.embedder.model_id, self.embedder.dim)
                self._retriever = HybridRetriever(snap, index, bm25, self.embedder, self.settings.retrieval)
                self._loaded_from = current
            return self._retriever

    def documents(self) -> list[StoredDocument]:
        return sorted(self.retriever.snap.documents.values(), key=lambda d: d.id)

    def document(self, doc_id: str) -> StoredDocument | None:
        return self.retriever.snap.documents.get(doc_id)

    def stats(self) -> dict:
        r = self.retriever
        return {"documents": len(r.snap.documents), "chunks": len(r.snap.chunks), "councils": r.councils,
                **{k: v for k, v in r.snap.manifest.items() if k in ("index_kind", "embed_model", "written")}}

    # --- search and ask ----------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> SearchResult:
        return self.retriever.search(valid_text(query), k, filters)

    def answerer(self) -> Answerer:
        r = self.retriever
        docs = r.snap.documents
        return Answerer(r, self.llm, self.settings.answer, self.embedder,
                        doc_text=lambda doc_id: (d.text[: d.comment_start] if (d := docs.get(doc_id)) else None),
                        document=docs.get, doc_chunks=r.doc_chunks, findings=self.findings_source())

    def findings_source(self):
        """The classified findings of each document (stored summaries first), shared by every answerer."""
        from summarizer.doc_findings import FindingsSource

        with self._lock:
            if self._findings is None:
                self._findings = FindingsSource(lambda d: self.retriever.snap.documents.get(d),
                                                lambda d: self.result_store().latest(d) if self.summaries_dir.exists()
                                                else None,
                                                self.llm)
            return self._findings

    def warm_in_background(self) -> threading.Thread:
        """Read the newest short documents into the model's prefix cache on a background thread (settings.answer.
        warm_docs of them), so the first question about each starts in about a second instead of tens; then label
        the newest articles' findings (warm_findings of them) for why-questions."""
        def run() -> None:
            newest = sorted(self.documents(), key=lambda d: d.date or "", reverse=True)
            self.answerer().warm([d.id for d in newest[: self.settings.answer.warm_docs]])
            source = self.findings_source()
            for d in [d for d in newest if d.meta.doc_type == "article"][: self.settings.answer.warm_findings]:
                source(d.id)  # labelled once, so a why-question about it is answered at once

        t = threading.Thread(target=run, name="brief-warm", daemon=True)
        t.start()
        return t

    def ask_stream(self, question: str, filters: SearchFilters | None = None) -> Iterator[AskEvent]:
        return self.answerer().ask_stream(valid_text(question), filters)

    def ask(self, question: str, filters: SearchFilters | None = None) -> Answer:
        return self.answerer().ask(valid_text(question), filters)

    # --- structured summaries and briefings --------------------------------------------------------------------
    @property
    def summaries_dir(self) -> Path:
        return self.index_dir / "summaries"

    def result_store(self):
        from summarizer.summaries.results import ResultStore

        return ResultStore(self.summaries_dir)

    def backend(self):
        from summarizer.llm.backends import make_backend

        if self.settings.backend.kind == "llama":
            return make_backend(self.settings, llm=self.llm)
        return make_backend(self.settings)

    def summary_checker(self, backend=None):
        """The faithfulness checker for what summaries say in the model's own words: over the shared model for the
        llama and OpenAI-compatible backends (None for another backend, or one passed in)."""
        from summarizer.checking.checker import ClaimChecker

        if backend is not None or self.settings.backend.kind not in ("llama", "openai"):
            return None
        return ClaimChecker(self.llm)

    def summarize(self, ids: list[str] | None = None, workers: int | None = None, progress=None, force: bool = False,
                  backend=None, on_model_call: SummaryProgress | None = None):
        """Structured summaries of the given documents (all when ids is None) into the results store.

        ``on_model_call(calls, expected)`` is told (0, expected) before the backend loads, then before each model call.
        """
        from summarizer.summaries.batch import run_batch
        from summarizer.summaries.summarizer import Summarizer

        docs_by_id = {d.id: d for d in self.documents()}
        if ids is None:
            docs = list(docs_by_id.values())
        else:
            missing = [i for i in ids if i not in docs_by_id]
            if missing:
                raise KeyError(f"not in the index: {', '.join(missing)}")
            docs = [docs_by_id[i] for i in ids]
        on_call = None
        if on_model_call is not None:
            expected = sum(expected_model_calls(d) for d in docs)
            on_model_call(0, expected)
            on_call = _call_counter(on_model_call, expected)
        summarizer = Summarizer(backend or self.backend(), on_call=on_call, checker=self.summary_checker(backend),
                                encode=self.labeller_encoder())
        return run_batch(docs, summarizer, self.result_store(), workers=workers or self.settings.backend.workers,
                         progress=progress, force=force)

    def labeller_encoder(self) -> "Encode | None":
        """The embedder's encode, when it is the one the distilled labeller was fitted on (else None: a report's
        findings are then read from its openings alone)."""
        from summarizer.summaries.distilled import shipped_labeller

        labeller = shipped_labeller()
        if labeller is None or labeller.provenance.get("embedder") != self.embedder.model_id:
            return None
        return self.embedder.encode

    def changed_stamp(self) -> tuple:
        """A value that changes whenever the index snapshot or the stored summaries change (another process may
        write either), so a front end knows when to re-read them."""
        files = []
        for name in SUMMARY_FILES:
            try:
                st = (self.summaries_dir / name).stat()
                files.append((st.st_size, st.st_mtime_ns))
            except OSError:
                files.append(None)
        return self.store.current_name(), tuple(files)

    def stored_summaries(self):
        """The newest stored summary of each indexed document whose text has not changed since."""
        docs = self.documents()
        if not self.summaries_dir.exists():
            return []
        return self.result_store().all_latest({d.id for d in docs}, {d.id: d.hash for d in docs})

    def council_briefing(self, name: str):
        from retrieval.search import SearchFilters

        from summarizer.briefing.briefing import council_briefing

        def search(query: str, council: str) -> list[dict]:
            try:
                res = self.search(query, 5, SearchFilters(councils=[council]))
            except Exception:  # retrieval is a bonus here; a briefing from summaries still stands
                return []
            return [{"doc_id": h.chunk.doc_id, "start": h.chunk.start, "end": h.chunk.end, "text": h.chunk.text,
                     "title": h.title} for h in res.hits]

        return council_briefing(name, self.documents(), self.stored_summaries(), search=search)

    def digest(self) -> dict:
        from summarizer.briefing.briefing import digest

        return digest(self.documents(), self.stored_summaries())

    def council_chart(self, briefing):
        """A matplotlib Figure of each judgement area's grade at each of the briefing's inspections (None: none)."""
        from summarizer.briefing.charts import area_chart
        from summarizer.briefing.history import area_series

        return area_chart(area_series(briefing.inspections), f"{briefing.council}: judgement areas over time")

    def digest_chart(self, digest: dict):
        """A matplotlib Figure of the digest's overall judgements by year (None: no graded inspection)."""
        from summarizer.briefing.charts import distribution_chart

        return distribution_chart(digest.get("by_year") or {})

    def export(self, what: str, fmt: str, name: str | None = None) -> str:
        """A council briefing ('council', name), the digest ('digest') or one document's stored summary
        ('summary', doc id) as Markdown ('md') or a standalone HTML page ('html'), citations quoting the sources."""
        from summarizer.briefing import export as ex

        if what == "council":
            report = ex.briefing_report(self.council_briefing(name or ""))
        elif what == "digest":
            report = ex.digest_report(self.digest())
        elif what == "summary":
            rec = self.result_store().latest(name or "") if self.summaries_dir.exists() else None
            if rec is None:
                raise KeyError(f"no stored summary for {name!r}; run: brief summarize {name}")
            report = ex.summary_report(rec)
        else:
            raise ValueError(f"unknown export {what!r}: use council, digest or summary")

        def lookup(doc_id: str) -> ex.SourceDoc | None:
            d = self.document(doc_id)
            return ex.SourceDoc(d.title, d.text) if d else None

        return ex.render(report, lookup, fmt)
