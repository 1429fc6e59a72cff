"""The results store of structured summaries: JSONL log + SQLite table + one Markdown file per article.

Lives under ``<index>/summaries/``. Records are keyed by (content hash, model id, prompt version): a key that is
stored with status "ok" is done and skipped on rerun. Each record is appended and committed as soon as it is made,
so a crash or Ctrl-C loses at most the article in flight. Failures are stored too (status "error") and retried on
the next run.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from summarizer.summaries.schema import ArticleSummary

_SCHEMA = """
CREATE TABLE IF NOT EXISTS summaries (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, content_hash TEXT, model_id TEXT, prompt_version TEXT,
    status TEXT NOT NULL, created TEXT, seconds REAL, prompt_tokens INTEGER, completion_tokens INTEGER,
    councils TEXT, record TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS summaries_doc ON summaries(doc_id);
"""


class ResultStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "markdown").mkdir(exist_ok=True)
        self.jsonl = self.root / "summaries.jsonl"
        self.db_path = self.root / "summaries.sqlite"
        self._lock = threading.Lock()
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db_path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    # --- writes -------------------------------------------------------------------------------------------------
    def put(self, rec: ArticleSummary) -> None:
        data = rec.model_dump(mode="json")
        line = json.dumps({"status": "ok", "key": rec.key, **data}, ensure_ascii=False)
        with self._lock:
            with open(self.jsonl, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
            with self._connect() as con:
                con.execute(
                    "INSERT OR REPLACE INTO summaries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (rec.key, rec.doc_id, rec.content_hash, rec.model_id, rec.prompt_version, "ok", rec.created,
                     rec.stats.seconds, rec.stats.prompt_tokens, rec.stats.completion_tokens,
                     json.dumps([c.council for c in rec.councils]), json.dumps(data, ensure_ascii=False), None))
            md = self.root / "markdown" / f"{_safe(rec.doc_id)}.md"
            tmp = md.with_suffix(".md.tmp")
            tmp.write_text(to_markdown(rec), encoding="utf-8")
            os.replace(tmp, md)

    def put_failure(self, key: str, doc_id: str, content_hash: str, model_id: str, prompt_version: str,
                    error: str) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self._lock:
            with open(self.jsonl, "a", encoding="utf-8") as f:
                f.write(json.dumps({"status": "error", "key": key, "doc_id": doc_id, "error": error,
                                    "created": now}, ensure_ascii=False) + "\n")
            with self._connect() as con:
                row = con.execute("SELECT status FROM summaries WHERE key=?", (key,)).fetchone()
                if row and row[0] == "ok":
                    return
                con.execute("INSERT OR REPLACE INTO summaries (key, doc_id, content_hash, model_id, prompt_version,"
                            " status, created, error) VALUES (?,?,?,?,?,?,?,?)",
                            (key, doc_id, content_hash, model_id, prompt_version, "error", now, error))

    # --- reads --------------------------------------------------------------------------------------------------
    def done_keys(self) -> set[str]:
        with self._connect() as con:
            return {r[0] for r in con.execute("SELECT key FROM summaries WHERE status='ok'")}

    def failures(self) -> dict[str, str]:
        with self._connect() as con:
            return {r[0]: r[1] for r in con.execute("SELECT doc_id, error FROM summaries WHERE status='error'")}

    def get(self, key: str) -> ArticleSummary | None:
        with self._connect() as con:
            row = con.execute("SELECT record FROM summaries WHERE key=? AND status='ok'", (key,)).fetchone()
        return ArticleSummary.model_validate_json(row[0]) if row else None

    def latest(self, doc_id: str) -> ArticleSummary | None:
        with self._connect() as con:
            row = con.execute("SELECT record FROM summaries WHERE doc_id=? AND status='ok' ORDER BY created DESC "
                              "LIMIT 1", (doc_id,)).fetchone()
        return ArticleSummary.model_validate_json(row[0]) if row else None

    def all_latest(self, doc_ids: set[str] | None = None, hashes: dict[str, str] | None = None) -> list[ArticleSummary]:
        """The newest ok record per document (only those matching the current content hash, when given)."""
        out: dict[str, ArticleSummary] = {}
        with self._connect() as con:
            rows = con.execute("SELECT doc_id, content_hash, record FROM summaries WHERE status='ok' "
                               "ORDER BY created").fetchall()
        for doc_id, h, rec in rows:
            if doc_ids is not None and doc_id not in doc_ids:
                continue
            if hashes is not None and hashes.get(doc_id) not in (None, h):
                continue
            out[doc_id] = ArticleSummary.model_validate_json(rec)
        return [out[k] for k in sorted(out)]


def _safe(doc_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in doc_id)


def _cite(spans) -> str:
    return ", ".join(f"chars {s.start}-{s.end}" for s in spans)


def to_markdown(rec: ArticleSummary) -> str:
    """A readable Markdown page for one structured summary, every item with its evidence."""
    out = [f"# {rec.title or rec.doc_id}", "",
           f"`{rec.doc_id}` · {rec.doc_type} · {rec.date or 'undated'} · model {rec.model_id} · prompt "
           f"{rec.prompt_version}", ""]
    if rec.overview:
        out += ["## Overview", "", rec.overview, ""]
    for c in rec.councils:
        out += [f"## {c.council}", ""]
        out.append(f"- **Inspection:** {c.inspection_kind or 'not stated'}"
                   + (f", {', '.join(c.inspection_dates)}" if c.inspection_dates else (f", {c.date}" if c.date else "")))
        if c.judgement:
            out.append(f"- **Judgement:** {c.judgement} — “{c.judgement_evidence[0].text.strip()}” "
                       f"({_cite(c.judgement_evidence)})")
        if c.previous_judgement:
            out.append(f"- **Previous judgement:** {c.previous_judgement} — “{c.previous_evidence[0].text.strip()}”")
        if c.lead_inspector:
            out.append(f"- **Lead inspector:** {c.lead_inspector.name}")
        if c.areas:
            out += ["", "| Area | Grade |", "|---|---|"] + [f"| {a.area} | {a.grade} |" for a in c.areas]
        for f, title in (("weaknesses", "Weaknesses"), ("strengths", "Strengths"), ("actions", "Actions"),
                         ("improvements", "What needs to improve"), ("figures", "Figures")):
            items = getattr(c, f)
            if items:
                out += ["", f"### {title}", ""]
                for it in items:
                    out.append(f"- {it.text}  \n  > {it.evidence[0].text.strip()[:400]} ({_cite(it.evidence)})")
        if c.people:
            out += ["", "### People", ""]
            for p in c.people:
                out.append(f"- {p.name}" + (f", {p.role}" if p.role else "") + (f", {p.organisation}"
                                                                                 if p.organisation else ""))
        out.append("")
    if rec.dropped:
        out += ["## Dropped by the checks", ""]
        out += [f"- {d.field}{' (' + d.council + ')' if d.council else ''}: {d.text} — {d.reason}" for d in rec.dropped]
        out.append("")
    s = rec.stats
    out.append(f"_{s.seconds:.1f}s, {s.calls} model calls, {s.prompt_tokens} prompt + {s.completion_tokens} "
               f"completion tokens, {s.regenerated} regenerated, {s.parts} part(s)._")
    return "\n".join(out) + "\n"
