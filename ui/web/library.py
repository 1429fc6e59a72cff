"""What the tabs read from the service, tolerant of an empty or missing index, and the stored summaries re-read
only when ``service.changed_stamp()`` says the index or the summaries changed (another process may write them)."""
from __future__ import annotations

import threading

import pandas as pd

from ui.web.views_articles import ARTICLE_HEADERS, article_row


class Library:
    """The service's documents, summaries and councils as the tabs show them."""

    def __init__(self, service) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._stamp: object = object()
        self._summaries: dict = {}
        self._failures: dict = {}

    def docs(self) -> list:
        try:
            return self.service.documents()
        except Exception:  # noqa: BLE001 - no index yet: nothing to list
            return []

    def summaries(self) -> tuple[dict, dict]:
        """({doc_id: newest stored summary of its current text}, {doc_id: last failure})."""
        stamp = self.service.changed_stamp()
        with self._lock:
            if stamp != self._stamp:
                value, failures = {}, {}
                if self.service.summaries_dir.is_dir():
                    try:
                        value = {r.doc_id: r for r in self.service.stored_summaries()}
                        failures = self.service.result_store().failures()
                    except Exception:  # noqa: BLE001 - a store being written or an empty index: no summaries yet
                        value, failures = {}, {}
                self._stamp, self._summaries, self._failures = stamp, value, failures
            return self._summaries, self._failures

    def councils(self) -> list[str]:
        """Every council the index, its documents' metadata or a summary names."""
        names: set[str] = set()
        try:
            names.update(self.service.retriever.councils)
        except Exception:  # noqa: BLE001 - no index yet
            pass
        for d in self.docs():
            names.update(d.meta.councils)
        for rec in self.summaries()[0].values():
            names.update(c.council for c in rec.councils)
        return sorted(names)

    def stats_line(self) -> str:
        try:
            s = self.service.stats()
        except Exception:  # noqa: BLE001 - no index yet
            return "No index yet: add articles in the **Add articles** tab or run `brief ingest data/articles`."
        return (f"{s['documents']} articles · {s['chunks']} passages · {len(s['councils'])} councils · "
                f"index `{self.service.index_dir}`")

    def article_rows(self, query: str = "") -> pd.DataFrame:
        """The Articles table, filtered by words in a row, the text or the summary's overview."""
        q = (query or "").strip().lower()
        recs, failures = self.summaries()
        rows = []
        for d in self.docs():
            rec = recs.get(d.id)
            row = article_row(d, rec, failures.get(d.id))
            if q and q not in " ".join(row).lower() and q not in d.text.lower() and \
                    q not in (rec.overview.lower() if rec is not None else ""):
                continue
            rows.append(row)
        return pd.DataFrame(rows, columns=ARTICLE_HEADERS)

    def article_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title or d.id} ({d.date or 'undated'})", d.id) for d in self.docs()]
