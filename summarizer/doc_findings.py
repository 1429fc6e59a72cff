"""Each document's classified findings, for answers to why and what-found questions: read from its stored summary
when that summary labelled findings sentence by sentence and the text is unchanged, else labelled now, once per
process and text (summaries/findings.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable

from retrieval.store import StoredDocument

from summarizer.answer.points import DocFinding
from summarizer.summaries.findings import FindingRule, LabelModel, document_findings
from summarizer.summaries.schema import ArticleSummary

_KIND_OF_FIELD = {"weaknesses": "weakness", "strengths": "strength", "actions": "action", "improvements": "action"}
LABELLED_SINCE = 5  # the first summary prompt version ("sum-5") whose records hold every labelled finding


def _version(prompt_version: str) -> int:
    tail = prompt_version.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def from_summary(rec: ArticleSummary) -> list[DocFinding]:
    """The findings a stored summary holds, as answer findings (a report's improvement list counts as actions)."""
    out = []
    for entry in rec.councils:
        for fld, kind in _KIND_OF_FIELD.items():
            for item in getattr(entry, fld):
                ev = item.evidence[0]
                out.append(DocFinding(kind, entry.council, ev.start, ev.end, item.text))
    return sorted(out, key=lambda f: f.start)


class FindingsSource:
    """doc_id -> findings; a document is labelled at most once per process and content hash."""

    def __init__(self, document: Callable[[str], StoredDocument | None],
                 stored: Callable[[str], ArticleSummary | None], model: LabelModel,
                 rule: FindingRule | None = None) -> None:
        self.document, self.stored, self.model = document, stored, model
        self.rule = rule or FindingRule()
        self._cache: dict[tuple[str, str], list[DocFinding]] = {}
        self._lock = threading.Lock()

    def __call__(self, doc_id: str) -> list[DocFinding]:
        doc = self.document(doc_id)
        if doc is None:
            return []
        key = (doc_id, doc.hash)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        rec = self.stored(doc_id)
        if rec is not None and rec.content_hash == doc.hash and _version(rec.prompt_version) >= LABELLED_SINCE:
            found = from_summary(rec)
        else:
            found = [DocFinding(f.kind, c, f.start, f.end, f.text)
                     for c, f in document_findings(doc, self.model, self.rule)]
        with self._lock:
            self._cache[key] = found
        return found
