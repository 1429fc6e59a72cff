"""The Gradio web interface: ask with visible evidence, browse articles and councils, add articles, evaluate.

Every tab calls the same ``BriefService`` functions as the CLI. Everything that comes from an article or a
user (titles, text, file names, questions) is passed through ``html.escape`` before it goes into HTML, so
an article containing ``<script>`` or ``<img onerror=...>`` renders as text.
"""
from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from retrieval.search import SearchFilters  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402
from summarizer.answer.events import AnswerReady, PassagesFound, SentenceChecked, TokenStreamed  # noqa: E402
from summarizer.answer.records import Answer, AnswerSentence, Passage  # noqa: E402
from summarizer.service import BriefService  # noqa: E402
from summarizer.support import content_terms  # noqa: E402

ALL_COUNCILS = "All councils"
ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
MAX_FILES = 10
MAX_FILE_BYTES = 20_000_000  # 20 MB, the same limit ingestion applies
QUEUE_MAX = 16
EXAMPLES = [
    "Why was Darlington rated inadequate?",
    "What went wrong with Torbay's senior leadership?",
    "Which council was appointed as Worcestershire's improvement partner?",
    "What did the focused visit find about Tameside's front door?",
    "What penalties did Ofsted impose on Darlington?",
]
DATASETS_DIR = Path(__file__).resolve().parents[1] / "eval" / "datasets"
ARTICLE_HEADERS = ["ID", "Title", "Date", "Councils", "Inspection kind", "Judgement", "Source", "Summary"]
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_STAGES = {"prepare": "Reading and cleaning files", "load": "Reading files", "chunk": "Splitting into passages",
           "embed": "Embedding passages", "write": "Writing the index"}


class UnsafeBindError(RuntimeError):
    """Serving on a non-loopback address without a username and password."""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --- helpers shared by the tabs ------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def auth_from_env() -> tuple[str, str] | None:
    user, password = os.environ.get("BRIEF_USERNAME"), os.environ.get("BRIEF_PASSWORD")
    if user and password:
        return user, password
    if user or password:
        raise UnsafeBindError("Set both BRIEF_USERNAME and BRIEF_PASSWORD (or neither).")
    return None


def check_bind(host: str, auth) -> None:
    """Refuse to serve beyond this machine without authentication."""
    if not is_loopback(host) and not auth:
        raise UnsafeBindError(
            f"Refusing to serve on {host}: that address is reachable from other machines and no login is set. "
            "Set BRIEF_USERNAME and BRIEF_PASSWORD to require a login, or serve on 127.0.0.1 (the default).")


def parse_filters(council: str | None, date_from: str | None, date_to: str | None) -> SearchFilters | None:
    council = (council or "").strip()
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    for label, value in (("From", date_from), ("To", date_to)):
        if value and not _DATE.match(value):
            raise ValueError(f"{label} date must look like 2015 or 2015-09 or 2015-09-01.")
    councils = [council] if council and council != ALL_COUNCILS else None
    if not (councils or date_from or date_to):
        return None
    return SearchFilters(councils=councils, date_from=date_from or None, date_to=date_to or None)


def hit_dict(h) -> dict:
    return {"article_id": h.chunk.doc_id, "chunk_id": h.chunk.id, "title": h.title, "date": h.date,
            "source": h.source, "score": round(float(h.score), 5), "dense_rank": h.dense_rank,
            "bm25_rank": h.bm25_rank, "councils": list(h.chunk.councils), "start": h.chunk.start,
            "end": h.chunk.end, "text": h.chunk.text}


def marked_html(text: str, lo: int, hi: int, marks: list[tuple[int, int, str]]) -> str:
    """text[lo:hi] escaped, with (start, end, css_class) spans wrapped in <mark> (nested spans allowed)."""
    ms = [(max(s, lo), min(e, hi), cls) for s, e, cls in marks if min(e, hi) > max(s, lo)]
    bounds = sorted({lo, hi, *(s for s, _, _ in ms), *(e for _, e, _ in ms)})
    out = []
    for a, b in zip(bounds, bounds[1:]):
        seg = html.escape(text[a:b])
        active = sorted((m for m in ms if m[0] <= a and b <= m[1]), key=lambda m: m[0] - m[1])
        for _, _, cls in reversed(active):  # innermost first, so the outermost wraps last
            seg = f'<mark class="{cls}">{seg}</mark>'
        out.append(seg)
    return "".join(out)


def article_html(text: str, comment_start: int | None, marks: list[tuple[int, int, str]]) -> str:
    """The whole article, escaped, with marks; reader comments set apart and labelled."""
    cs = len(text) if comment_start is None else max(0, min(comment_start, len(text)))
    body = f'<div class="article-body">{marked_html(text, 0, cs, marks)}</div>'
    if cs < len(text) and text[cs:].strip():
        body += ('<div class="reader-comment"><div class="comment-label">Reader comment: not part of the article, '
                 f'never used as evidence</div>{marked_html(text, cs, len(text), marks)}</div>')
    return body


def supporting_span(doc_text: str, start: int, end: int, claim: str) -> tuple[int, int]:
    """The sentence within [start, end) of doc_text that shares most content words with claim."""
    sents = split_sentences(doc_text, start, end)
    if not sents:
        return start, end
    terms = content_terms(claim)
    if not terms:
        return sents[0]
    return max(sents, key=lambda se: (len(terms & content_terms(doc_text[se[0]:se[1]])), -se[0]))


def _doc_meta_bits(doc) -> dict:
    m = doc.meta
    judgements = []
    for j in m.judgements:
        bit = j.grade
        extra = ", ".join(x for x in (j.council, j.area) if x)
        judgements.append(f"{bit} ({extra})" if extra else bit)
    return {"councils": ", ".join(m.councils), "kind": m.inspection_kind or "",
            "judgements": "; ".join(dict.fromkeys(judgements)), "type": m.doc_type or ""}


# --- the answer view -----------------------------------------------------------------------------------

def sentence_verdict(s: AnswerSentence) -> tuple[str, str, str]:
    """(css kind, visible label, tooltip) for one checked answer sentence: supported, not judged, or flagged.

    ``supported`` means the exact check passed (numbers, names and most words in the cited passages) and the model
    judge's P(yes) was at or above its threshold; ``unjudged`` means the exact check passed and the judge did not run
    (it is off, or the sentence never reached it); ``flagged`` means a check failed and the sentence was removed.
    """
    judged = f"model judge P(yes)={s.judge:.2f}" if s.judge is not None else "model judge not run"
    exact = f"exact check: {s.coverage:.0%} of its words are in the cited passage"
    if not s.supported:
        return "flagged", "✗ flagged" + (f" · judge {s.judge:.2f}" if s.judge is not None else ""), \
            f"Flagged and removed: {s.note or 'not supported by the cited passage'} ({judged})"
    note = f"; {s.note}" if s.note else ""
    if s.judge is None:
        return "unjudged", "✓ exact check only", f"Kept: {exact}; {judged}{note}"
    return "supported", f"✓ supported · judge {s.judge:.2f}", f"Supported: {exact}; {judged}{note}"


class AnswerView:
    """Renders a streamed answer: checked sentences with citation links, and the cited passages in context."""

    def __init__(self, service: BriefService, question: str) -> None:
        self.service = service
        self.question = question
        self.uid = "a" + uuid.uuid4().hex[:8]
        self.passages: list[Passage] = []
        self.sentences: list[AnswerSentence] = []
        self.tokens = 0
        self.answer: Answer | None = None
        self.stage = "Searching the articles…"
        self._docs: dict[str, object] = {}

    def _doc(self, doc_id: str):
        if doc_id not in self._docs:
            try:
                self._docs[doc_id] = self.service.document(doc_id)
            except Exception:  # noqa: BLE001 - the index may have changed; show the passage alone
                self._docs[doc_id] = None
        return self._docs[doc_id]

    def _span(self, p: Passage, text: str) -> tuple[int, int]:
        if 0 <= p.start < p.end <= len(text):
            return p.start, p.end
        probe = p.text.split("…")[0].strip()[:60]
        at = text.find(probe) if probe else -1
        return (at, min(len(text), at + len(p.text))) if at >= 0 else (0, 0)

    def panel(self, pid: str, p: Passage, claims: list[str], label: str = "Supports") -> str:
        doc = self._doc(p.doc_id)
        text = doc.text if doc is not None else p.text
        comment_start = doc.comment_start if doc is not None else None
        s, e = self._span(p, text) if doc is not None else (0, len(text))
        marks = [(s, e, "psg")] if e > s else []
        for claim in claims:
            if e > s:
                a, b = supporting_span(text, s, e, claim)
                marks.append((a, b, "support"))
        head = [f"<b>[{p.n}] {esc(p.title) or esc(p.doc_id)}</b>", esc(p.date or "undated"),
                esc(f"source: {p.source}" if p.source else "source not recorded"), f"<code>{esc(p.doc_id)}</code>"]
        claim_html = "".join(f'<div class="src-claim">{esc(label)}: “{esc(c)}”</div>' for c in claims)
        return (f'<div class="src-panel" id="{pid}" data-doc="{esc(p.doc_id)}" data-n="{p.n}">'
                f'<div class="src-head">{" · ".join(head)} <a class="close-panel" href="#{self.uid}">close</a></div>'
                f'{claim_html}<div class="article-box">{article_html(text, comment_start, marks)}</div></div>')

    def _cite_links(self, i: int, s: AnswerSentence) -> str:
        by_n = {p.n: p for p in self.passages}
        links = []
        for n in s.citations:
            p = by_n.get(n)
            tip = esc(f"{p.title} ({p.date or 'undated'})") if p else ""
            links.append(f'<a class="cite" href="#{self.uid}-s{i}-p{n}" data-n="{n}" title="{tip}">[{n}]</a>')
        return "".join(links)

    def _sentence(self, i: int, s: AnswerSentence) -> str:
        kind, label, tip = sentence_verdict(s)
        badge = f'<span class="chk verdict {kind}" title="{esc(tip)}">{esc(label)}</span>'
        return (f'<span class="sent {"ok" if s.supported else "dropped"}" data-supported="{str(s.supported).lower()}" '
                f'data-verdict="{kind}">{esc(s.text)}{self._cite_links(i, s)}{badge}</span> ')

    def render(self) -> str:
        a = self.answer
        parts = [f'<div class="brief-answer" id="{self.uid}" data-status="{esc(a.status if a else "streaming")}">',
                 f'<div class="q">{esc(self.question)}</div>']
        kept = [(i, s) for i, s in enumerate(self.sentences) if s.supported]
        dropped = [(i, s) for i, s in enumerate(self.sentences) if not s.supported]
        refused = a is not None and a.refused
        if refused:
            parts.append(f'<div class="refusal">{esc(a.text)}</div>')
        elif kept:
            parts.append('<div class="answer-text">' + "".join(self._sentence(i, s) for i, s in kept) + "</div>")
        if a is None:
            stage = self.stage if not self.tokens else f"Writing and checking the answer… ({self.tokens} tokens)"
            parts.append(f'<div class="pending">{esc(stage)}</div>')
        if dropped:
            parts.append('<details class="dropped"><summary>Removed by the citation check '
                         f'({len(dropped)})</summary><ul>' +
                         "".join(f'<li>{self._sentence(i, s)}<small>{esc(s.note)}</small></li>' for i, s in dropped) +
                         "</ul></details>")
        if kept or dropped:
            parts.append('<div class="legend">Each sentence shows what the checks found. <b>✓ supported</b>: its numbers, '
                         'names and most of its words are in the passage it cites, and the model judge agreed (P(yes) '
                         'shown). <b>✓ exact check only</b>: the exact check passed; the model judge did not run. '
                         '<b>✗ flagged</b>: a check failed, so the sentence was removed. Click a [n] to see the passage '
                         'in its article.</div>')
        panels = []
        by_n = {p.n: p for p in self.passages}
        for i, s in enumerate(self.sentences):
            for n in s.citations:
                if n in by_n:
                    panels.append(self.panel(f"{self.uid}-s{i}-p{n}", by_n[n], [s.text]))
        if self.passages and (a is not None or refused):
            if refused:
                shown, title = self.passages, "Closest passages found"
            else:
                cited = {n for _, s in kept for n in s.citations}
                shown, title = [p for p in self.passages if p.n in cited], "Sources"
            items = []
            for p in shown:
                claims = [s.text for _, s in kept if p.n in s.citations]
                panels.append(self.panel(f"{self.uid}-p{p.n}", p, claims or [self.question],
                                         "Supports" if claims else "Closest to the question"))
                meta = " · ".join([esc(p.date or "undated"), esc(p.source or "source not recorded")])
                if refused:
                    snippet = f'<div class="snippet">{esc(p.text)}</div>'
                else:
                    preview = p.text if len(p.text) <= 110 else p.text[:110].rsplit(" ", 1)[0] + "…"
                    snippet = f' <small class="preview">“{esc(preview)}”</small>'
                items.append(f'<li><a class="srclink" href="#{self.uid}-p{p.n}" data-n="{p.n}">[{p.n}] '
                             f'{esc(p.title) or esc(p.doc_id)}</a> <small>{meta}</small>{snippet}</li>')
            if items:
                parts.append(f'<div class="sources"><div class="sources-title">{title}</div><ul>{"".join(items)}</ul></div>')
        if a is not None:
            t = a.timings
            bits = [f"{t.get('total_s', 0):.1f} s"]
            if t.get("first_token_s"):
                bits.append(f"first words after {t['first_token_s']:.1f} s")
            parts.append(f'<div class="timing">{esc(a.status.replace("_", " "))} · {esc(", ".join(bits))}</div>')
        parts.append('<div class="panels">' + "".join(panels) + "</div></div>")
        return "".join(parts)


# JS for the answer component: open the cited passage in place and scroll its highlighted sentence into view.
ANSWER_JS = r"""
let openId = null;
function openPanel(id, scroll) {
  const panel = id ? element.querySelector('[id="' + id + '"]') : null;
  element.querySelectorAll('.src-panel.open').forEach(p => { if (p !== panel) p.classList.remove('open'); });
  if (!panel) { openId = null; return; }
  panel.classList.add('open');
  openId = id;
  const box = panel.querySelector('.article-box');
  const mark = panel.querySelector('mark.support') || panel.querySelector('mark.psg');
  if (box && mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
  if (scroll) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
}
element.addEventListener('click', (ev) => {
  const a = ev.target.closest('a.cite, a.srclink, a.close-panel');
  if (!a) return;
  ev.preventDefault();
  if (a.classList.contains('close-panel')) { openPanel(null, false); return; }
  openPanel(a.getAttribute('href').slice(1), true);
});
watch('value', () => { if (openId) openPanel(openId, false); });
"""

# --- structured summaries: the article view, the table row, generating one ----------------------------------------

SUMMARY_FIELDS = (("weaknesses", "Weaknesses"), ("strengths", "Strengths"), ("actions", "Actions"),
                  ("improvements", "What needs to improve"), ("figures", "Figures"))
NOT_GENERATED = "not generated"


class EvidenceIndex:
    """Numbers the distinct evidence spans of one article so that summary items can link to their marks in its text.

    ``link`` wraps a label in ``<a class="evlink" data-ev="3 4">``; ``marks`` gives the ``(start, end, "ev e3")`` marks
    for ``article_html``. EVIDENCE_JS highlights and scrolls to ``mark.e3`` when the link is clicked. With ``panel``,
    the link names the element holding the marks (several articles on one page).
    """

    def __init__(self, text: str, panel: str = "") -> None:
        self.text = text
        self.panel = panel
        self.ids: dict[tuple[int, int], int] = {}

    def ids_for(self, spans) -> list[int]:
        out: list[int] = []
        for sp in spans:
            s, e = max(0, int(sp.start)), min(len(self.text), int(sp.end))
            if e > s:
                k = self.ids.setdefault((s, e), len(self.ids))
                if k not in out:
                    out.append(k)
        return out

    def link(self, label_html: str, spans) -> str:
        spans = list(spans or [])
        ks = self.ids_for(spans)
        if not ks:
            return f'{label_html} <small class="no-ev">(no evidence in this text)</small>'
        where = ", ".join(f"chars {max(0, sp.start)}–{min(len(self.text), sp.end)}" for sp in spans)
        quote = " … ".join(self.text[max(0, sp.start):min(len(self.text), sp.end)].strip() for sp in spans)
        tip = f"Evidence ({where}): {quote[:400]}{'…' if len(quote) > 400 else ''}"
        panel = f' data-panel="{esc(self.panel)}"' if self.panel else ""
        return (f'<a class="evlink" href="#" data-ev="{" ".join(map(str, ks))}"{panel} title="{esc(tip)}">'
                f"{label_html}</a>")

    def marks(self) -> list[tuple[int, int, str]]:
        return [(s, e, f"ev e{k}") for (s, e), k in self.ids.items()]


def _person_label(p) -> str:
    return ", ".join(x for x in (p.name, p.role, p.organisation) if x)


def _entry_html(c, ev: EvidenceIndex) -> str:
    """One council's entry of a structured summary; every statement links to its evidence."""
    when = ", ".join(c.inspection_dates) or c.date or "date not stated"
    rows = [("Inspection", f"{esc(c.inspection_kind or 'kind not stated')} · {esc(when)}"),
            ("Judgement", ev.link(f"<b>{esc(c.judgement)}</b>", c.judgement_evidence) if c.judgement
             else "not stated")]
    if c.previous_judgement:
        rows.append(("Previous judgement", ev.link(esc(c.previous_judgement), c.previous_evidence)))
    if c.lead_inspector:
        rows.append(("Lead inspector", ev.link(esc(_person_label(c.lead_inspector)), c.lead_inspector.evidence)))
    out = [f'<div class="sum-entry" data-council="{esc(c.council)}"><h4>{esc(c.council)}</h4>',
           '<table class="brief-meta">' + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"]
    if c.areas:
        out.append("<h5>Judgement areas</h5><table class='brief-table'><tr><th>Area</th><th>Grade</th><th>From</th></tr>"
                   + "".join(f"<tr><td>{esc(a.area)}</td><td>{ev.link(esc(a.grade), a.evidence)}</td>"
                             f"<td>{'the judgement table' if a.source == 'table' else 'the model'}</td></tr>"
                             for a in c.areas) + "</table>")
    empty = []
    for f, title in SUMMARY_FIELDS:
        items = getattr(c, f)
        if not items:
            empty.append(title.lower())
            continue
        out.append(f'<h5>{title}</h5><ul class="sum-list" data-field="{f}">'
                   + "".join(f'<li>{ev.link(esc(it.text), it.evidence)}</li>' for it in items) + "</ul>")
    if c.people:
        out.append('<h5>People</h5><ul class="sum-list" data-field="people">'
                   + "".join(f"<li>{ev.link(esc(_person_label(p)), p.evidence)}</li>" for p in c.people) + "</ul>")
    else:
        empty.append("people")
    if empty:
        out.append(f'<div class="sum-empty"><small>Nothing recorded for: {esc(", ".join(empty))}.</small></div>')
    return "".join(out) + "</div>"


def _dropped_html(rec) -> str:
    if not rec.dropped:
        return ""
    items = "".join(
        f'<li><b>{esc(d.field)}</b>{esc(" (" + d.council + ")") if d.council else ""}: {esc(d.text)}'
        f'{(" <small>quoting “" + esc(d.quote) + "”</small>") if d.quote else ""}'
        f'<div class="reason">dropped: {esc(d.reason)}</div></li>' for d in rec.dropped)
    return (f'<details class="sum-dropped"><summary>Dropped by the checks ({len(rec.dropped)})</summary>'
            f"<ul>{items}</ul></details>")


def summary_status(rec, failure: str | None = None) -> str:
    """One line about the stored summary of an article (or why there is none)."""
    if rec is None:
        return (NOT_GENERATED + (f"; the last attempt failed: {failure}" if failure else "")
                + ". Press “Generate summary” (the local model takes a minute or so per article) or run "
                "`brief summarize <id>`.")
    st = rec.stats
    return (f"generated {rec.created or 'at an unknown time'} by {rec.model_id} ({rec.backend}, prompt "
            f"{rec.prompt_version}; {st.calls} model calls, {st.seconds:.1f} s"
            f"{f', {st.parts} parts' if st.parts > 1 else ''})")


def summary_view_html(doc, rec) -> str:
    """The structured summary beside the article text, each statement linked to its highlighted evidence."""
    ev = EvidenceIndex(doc.text)
    left = []
    if rec.overview:
        left.append(f'<div class="sum-overview"><h4>Overview</h4><p>{esc(rec.overview)} '
                    f'{ev.link("[evidence]", rec.overview_evidence)}</p></div>')
    left += [_entry_html(c, ev) for c in rec.councils] or ["<p>The summary has no council entry.</p>"]
    left.append(_dropped_html(rec))
    return (f'<div class="sum-grid"><div class="sum-side" data-summary="{esc(rec.key)}">{"".join(left)}</div>'
            '<div class="sum-text"><div class="note"><small>Highlighted: the evidence of each statement. Click a '
            'statement to find its evidence; click highlighted text to find the statements that rest on it.'
            '</small></div>'
            f'<div class="ev-box article-full">{article_html(doc.text, doc.comment_start, ev.marks())}</div></div></div>')


def metadata_view_html(doc) -> str:
    """What the index's metadata (code, no model) says: judgements highlighted where they are stated."""
    m = doc.meta
    counts: dict[tuple, int] = {}
    for j in m.judgements:
        counts[(j.grade, j.council, j.area)] = counts.get((j.grade, j.council, j.area), 0) + 1
    judgements = "".join(
        f"<li><b>{esc(g)}</b>{esc(' — ' + c) if c else ''}{esc(' — ' + a) if a else ''}"
        f"{f' <small>({n} mentions, highlighted below)</small>' if n > 1 else ''}</li>"
        for (g, c, a), n in counts.items()) or "<li>none found</li>"
    rows = [("Inspection kind", esc(m.inspection_kind or "not stated")), ("Judgements", f"<ul>{judgements}</ul>"),
            ("Inspection dates", esc(", ".join(m.inspection_dates) or "—")),
            ("Years mentioned", esc(", ".join(str(y) for y in m.years) or "—"))]
    marks = [(j.start, j.end, "evidence") for j in m.judgements if j.start is not None and j.end is not None]
    return (f'<table class="brief-meta meta-only">{"".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)}'
            '</table><div class="note"><small>From the index metadata (found by code). Highlighted: where a '
            f'judgement is stated.</small></div><div class="article-full">{article_html(doc.text, doc.comment_start, marks)}</div>')


def article_view_html(doc, rec=None, failure: str | None = None) -> str:
    """An opened article: its details, then its structured summary beside the text (or the metadata view)."""
    rows = [("ID", f"<code>{esc(doc.id)}</code>"), ("Date", esc(doc.date or "undated")),
            ("Source", esc(doc.source or "not recorded")),
            ("Councils", esc(", ".join(c.council for c in rec.councils) if rec is not None and rec.councils
                             else ", ".join(doc.meta.councils) or "none found")),
            ("Type", esc(doc.meta.doc_type))]
    if doc.comment_start is not None and doc.comment_start < len(doc.text):
        rows.append(("Reader comments", f"from character {doc.comment_start} (marked below; never evidence)"))
    rows.append(("Structured summary", esc(summary_status(rec, failure))))
    head = (f'<div class="article-view" data-doc="{esc(doc.id)}" data-summary="{"yes" if rec is not None else "no"}">'
            f'<h3>{esc(doc.title) or esc(doc.id)}</h3><table class="brief-meta">'
            + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
    body = summary_view_html(doc, rec) if rec is not None else metadata_view_html(doc)
    return head + body + "</div>"


def article_row(doc, rec=None, failure: str | None = None) -> list[str]:
    """One row of the Articles table: from the structured summary when there is one, else from index metadata."""
    if rec is None or not rec.councils:
        bits = _doc_meta_bits(doc)
        status = "failed" if failure and rec is None else (NOT_GENERATED if rec is None else "no council found")
        return [doc.id, doc.title, doc.date or "", bits["councils"], bits["kind"], bits["judgements"],
                doc.source or "", status]
    entries = rec.councils
    multi = len(entries) > 1

    def judged(c) -> str:
        j = c.judgement or "not stated"
        return j + (f" (was {c.previous_judgement})" if c.previous_judgement else "")

    kinds = list(dict.fromkeys(c.inspection_kind or "not stated" for c in entries))
    kind = kinds[0] if len(kinds) == 1 else "; ".join(f"{c.council}: {c.inspection_kind or 'not stated'}"
                                                      for c in entries)
    dates = list(dict.fromkeys(d for c in entries for d in [(c.inspection_dates or [c.date])[0]] if d))
    return [doc.id, doc.title, "; ".join(dates) or doc.date or "", ", ".join(c.council for c in entries), kind,
            "; ".join(f"{c.council}: {judged(c)}" if multi else judged(c) for c in entries), doc.source or "",
            "summarized"]


class _ReportingBackend:
    """A summarizer backend that reports each model call before making it (for a progress bar)."""

    def __init__(self, inner, on_call: Callable[[], None]) -> None:
        self._inner = inner
        self._on_call = on_call

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def generate_json(self, system, user, schema, max_tokens=600):
        self._on_call()
        return self._inner.generate_json(system, user, schema, max_tokens=max_tokens)

    def stream_text(self, system, user, max_tokens=200):
        self._on_call()
        return self._inner.stream_text(system, user, max_tokens=max_tokens)


def expected_model_calls(doc) -> int:
    """About how many model calls a summary of doc takes: one per part of the article (one for a report's headline
    findings) and one for the overview; regenerating a rejected item adds more."""
    try:
        from summarizer.summaries.evidence import doc_text
        from summarizer.summaries.summarizer import SummaryOptions, council_parts, split_part

        if doc.meta.doc_type == "report":
            return 2
        dt = doc_text(doc.text, doc.comment_start)
        chars = SummaryOptions().part_chars
        return max(1, sum(len(split_part(p, dt, chars)) for p in council_parts(doc, dt))) + 1
    except Exception:  # noqa: BLE001 - only an estimate for the progress bar
        return 2


def generate_summary(service: BriefService, doc_id: str, force: bool = False, progress=None):
    """Summarize one article through ``service.summarize`` (the CLI's path), reporting each model call.

    ``progress(value, desc=..., unit=...)`` (a gr.Progress) gets (calls made, calls expected). Returns the batch
    report (``done``, ``failed``, ``stopped``); a failure is also stored by the batch.
    """
    t0 = time.monotonic()
    calls = [0]
    doc = service.document(doc_id)
    expected = [expected_model_calls(doc) if doc is not None else 2]

    def say(desc: str) -> None:
        if progress is not None:
            expected[0] = max(expected[0], calls[0])
            progress((calls[0], expected[0]), desc=desc, unit="model calls")

    say("Loading the model")
    backend = service.backend()

    def on_call() -> None:
        calls[0] += 1
        say(f"Summarizing ({time.monotonic() - t0:.0f} s): model call {calls[0]} of about {max(expected[0], calls[0])}")

    report = service.summarize([doc_id], workers=1, force=force, backend=_ReportingBackend(backend, on_call))
    say(f"Done: {calls[0]} model calls in {time.monotonic() - t0:.0f} s")
    return report


# --- councils: the briefing -------------------------------------------------------------------------------------------

def _quote_html(text: str, start: int, end: int, limit: int = 360) -> str:
    end = min(end, len(text))
    cut = min(end, start + limit)
    return "“" + esc(text[start:cut].strip()) + ("…" if cut < end else "") + "”"


def briefing_html(b, docs: dict, summaries: dict) -> str:
    """A council briefing (``summarizer.briefing.briefing.Briefing``): timeline, judgements, recurring issues, changes and
    citations; each citation opens its article below with the cited words highlighted."""
    council = b.council
    panels: dict[str, EvidenceIndex] = {}

    def ev_for(doc_id: str) -> EvidenceIndex | None:
        d = docs.get(doc_id)
        if d is None:
            return None
        if doc_id not in panels:
            panels[doc_id] = EvidenceIndex(d.text, panel=f"cb-{len(panels)}")
        return panels[doc_id]

    def cite(doc_id: str, start: int, end: int, text: str = "", label: str | None = None) -> str:
        ev = ev_for(doc_id)
        where = f"{doc_id}, chars {start}–{end}"
        if ev is None:
            return f'<span class="cite-q">“{esc(text)}” <small>[<code>{esc(where)}</code>]</small></span>'
        span = SimpleNamespace(start=start, end=end)
        body = label if label is not None else _quote_html(ev.text, start, end)
        return (f'<span class="cite-q">{ev.link(body, [span])} <small>[<code>{esc(doc_id)}</code>, chars '
                f"{start}–{end}]</small></span>")

    def items_html(doc_id: str, items, cls: str) -> str:
        ev = ev_for(doc_id)
        if ev is None:
            return "".join(f'<li class="{cls}">{esc(it.text)}</li>' for it in items)
        return "".join(f'<li class="{cls}">{ev.link(esc(it.text), it.evidence)}</li>' for it in items)

    rows = []
    for te in b.timeline:
        rec = summaries.get(te.doc_id) if te.summarized else None
        entry = rec.entry(council) if rec is not None else None
        ev = ev_for(te.doc_id)
        if entry is not None and entry.judgement and ev is not None:
            judg = ev.link(f"<b>{esc(entry.judgement)}</b>", entry.judgement_evidence)
        elif te.judgement and te.citations and ev is not None:
            c0 = te.citations[0]
            judg = cite(te.doc_id, c0.start, c0.end, c0.text, label=f"<b>{esc(te.judgement)}</b>")
        else:
            judg = f"<b>{esc(te.judgement)}</b>" if te.judgement else "not stated"
        if te.previous_judgement:
            prev = (ev.link(esc(te.previous_judgement), entry.previous_evidence) if entry is not None and ev is not None
                    else esc(te.previous_judgement))
            judg += f"<br><small>previously {prev}</small>"
        if te.areas:
            judg += "<br><small>" + esc("; ".join(f"{a}: {g}" for a, g in te.areas.items())) + "</small>"
        if entry is not None:
            found = items_html(te.doc_id, (entry.weaknesses + entry.improvements)[:6], "weak")
            found += items_html(te.doc_id, entry.strengths[:4], "strong")
            findings = f"<ul class='sum-list'>{found}</ul>" if found else "<small>none recorded</small>"
        elif te.summarized:
            findings = "<ul class='sum-list'>" + "".join(f"<li class='weak'>{esc(w)}</li>" for w in te.weaknesses) + \
                "".join(f"<li class='strong'>{esc(s)}</li>" for s in te.strengths) + "</ul>"
        else:
            findings = "<small>not summarized yet: index metadata only</small>"
        d = docs.get(te.doc_id)
        src = f"{esc(te.title)} <small>[<code>{esc(te.doc_id)}</code>]" + \
            (f" · {esc(d.source)}" if d is not None and d.source else "") + "</small>"
        if te.judgement and te.citations:  # the sentence that states the judgement, quoted
            c0 = te.citations[0]
            src += f"<div class='cited'><small>Judgement stated in:</small> {cite(te.doc_id, c0.start, c0.end, c0.text)}</div>"
        rows.append(f"<tr data-doc='{esc(te.doc_id)}' class='{'summarized' if te.summarized else 'metadata-only'}'>"
                    f"<td class='when'>{esc(te.date or 'undated')}</td><td>{esc(te.kind or '—')}</td><td>{judg}</td>"
                    f"<td>{findings}</td><td>{src}</td></tr>")
    out = [f'<div class="council-briefing" data-council="{esc(council)}" data-source="summaries"><h3>{esc(council)}</h3>',
           f"<p>{len(b.timeline)} article{'s' if len(b.timeline) != 1 else ''} or report"
           f"{'s' if len(b.timeline) != 1 else ''} about {esc(council)}, from their structured summaries"
           + (f"; {len(b.missing_summaries)} not summarized yet (index metadata only)" if b.missing_summaries else "")
           + ". <small class='weak'>▪ weakness</small> <small class='strong'>▪ strength</small>; click any statement "
             "or quote to open its article with the evidence highlighted.</p>",
           "<h4>Timeline and judgements</h4><table class='brief-table timeline'><tr><th>When</th><th>Inspection</th>"
           f"<th>Judgement</th><th>Findings</th><th>Source and citation</th></tr>{''.join(rows)}</table>"]
    if b.recurring:
        out.append("<h4>Recurring issues</h4><table class='brief-table recurring'><tr><th>Theme</th><th>Raised in</th>"
                   "<th>Citations</th></tr>" + "".join(
                       f"<tr><td><b>{esc(r['theme'])}</b></td><td>{'<br>'.join(esc(v) for v in r['visits'])}</td><td>"
                       + "<br>".join(cite(c["doc_id"], c["start"], c["end"], c.get("text", "")) for c in r["citations"])
                       + "</td></tr>" for r in b.recurring) + "</table>")
    else:
        out.append("<h4>Recurring issues</h4><p><small>No theme is raised in two or more of the summarized visits."
                   "</small></p>")
    if b.changes:
        out.append("<h4>What changed between visits</h4><ul>" + "".join(f"<li>{esc(c)}</li>" for c in b.changes)
                   + "</ul>")
    if b.passages:
        out.append("<h4>Other passages found by search</h4><ul>" + "".join(
            f"<li>{cite(p['doc_id'], p['start'], p['end'], p.get('text', ''))} <small>{esc(p.get('title', ''))}</small></li>"
            for p in b.passages[:5]) + "</ul>")
    if b.missing_summaries:
        out.append(f"<p><small>Not summarized yet: {esc(', '.join(b.missing_summaries))}. Open them in "
                   "<b>Articles</b> and press “Generate summary”, or run <code>brief summarize --all</code>.</small></p>")
    pan = []
    for doc_id, ev in panels.items():
        if not ev.ids:
            continue
        d = docs[doc_id]
        pan.append(f'<div class="src-panel ev-panel" id="{esc(ev.panel)}" data-doc="{esc(doc_id)}"><div class="src-head">'
                   f'<b>{esc(d.title) or esc(doc_id)}</b> · {esc(d.date or "undated")} · <code>{esc(doc_id)}</code> '
                   f'<a class="close-panel" href="#">close</a></div>'
                   f'<div class="article-box ev-box">{article_html(d.text, d.comment_start, ev.marks())}</div></div>')
    out.append('<div class="panels">' + "".join(pan) + "</div></div>")
    return "".join(out)


def metadata_briefing_html(council: str, about: list) -> str:
    """The briefing from index metadata alone (no structured summaries yet): judgements with their sentence, and
    a timeline of the articles."""
    about = sorted(about, key=lambda d: (d.date or "9999", d.id))
    judg_rows = []
    for d in about:
        only = d.meta.councils == [council]
        for j in d.meta.judgements:
            if j.council != council and not (j.council is None and only):
                continue
            quote = ""
            if j.start is not None and j.end is not None:
                sent = next(((s, e) for s, e in split_sentences(d.text) if s <= j.start < e), (j.start, j.end))
                quote = "“" + marked_html(d.text, sent[0], sent[1], [(j.start, j.end, "evidence")]) + "”"
            when = ", ".join(d.meta.inspection_dates) or (f"{d.date} (article)" if d.date else "undated")
            judg_rows.append(f"<tr><td class='when'>{esc(when)}</td><td><b>{esc(j.grade)}</b>"
                             f"{esc(' (' + j.area + ')') if j.area else ''}</td><td>{quote}</td><td>{esc(d.title)} "
                             f"<small>[<code>{esc(d.id)}</code>"
                             f"{', chars ' + str(j.start) + '–' + str(j.end) if j.start is not None else ''}]</small></td></tr>")
    timeline = "".join(
        f"<tr><td class='when'>{esc(d.date or 'undated')}</td><td>{esc(d.meta.inspection_kind or '—')}</td>"
        f"<td>{esc(', '.join(sorted({j.grade for j in d.meta.judgements if j.council in (council, None)})) or '—')}</td>"
        f"<td>{esc(d.title)} <small>[<code>{esc(d.id)}</code>]{' · ' + esc(d.source) if d.source else ''}</small></td></tr>"
        for d in about)
    judg = ("<table class='brief-table'><tr><th>When</th><th>Judgement</th><th>Evidence</th><th>Citation</th></tr>"
            + "".join(judg_rows) + "</table>") if judg_rows else "<p>No judgement about this council is stated in the articles.</p>"
    return (f'<div class="council-briefing" data-council="{esc(council)}" data-source="metadata"><h3>{esc(council)}</h3>'
            f"<p>{len(about)} article{'s' if len(about) != 1 else ''} in the index, none summarized yet, so this lists "
            "what the index metadata records (found by code). Generate structured summaries (<b>Articles</b> tab, or "
            "<code>brief summarize --all</code>) for the timeline with findings and recurring issues.</p>"
            f"<h4>Judgements</h4>{judg}"
            "<h4>Timeline of articles</h4><table class='brief-table'><tr><th>Article date</th><th>Inspection kind</th>"
            f"<th>Judgements</th><th>Article</th></tr>{timeline}</table></div>")


def council_view_html(service: BriefService, council: str, docs: list, summaries: dict) -> str:
    """The Councils tab: ``service.council_briefing`` when a summary covers the council, else the metadata view."""
    b = None
    if summaries:
        try:
            b = service.council_briefing(council)
        except Exception:  # noqa: BLE001 - fall back to what the metadata says
            b = None
    if b is not None and b.covered and any(te.summarized for te in b.timeline):
        return briefing_html(b, {d.id: d for d in docs}, summaries)
    about = [d for d in docs if council in d.meta.councils]
    if not about:
        return f"<p>No article in the index is about {esc(council)}.</p>"
    return metadata_briefing_html(council, about)


# JS for the article view and the council briefing: a statement's link highlights its evidence in the text (opening
# the article's panel first when the page holds several) and scrolls it into view; clicking highlighted text marks
# the statements that rest on it.
EVIDENCE_JS = r"""
function clearActive() {
  element.querySelectorAll('mark.ev.active, a.evlink.active').forEach(m => m.classList.remove('active'));
}
function showEvidence(link) {
  let root = element;
  const pid = link.getAttribute('data-panel');
  if (pid) {
    root = element.querySelector('[id="' + pid + '"]');
    if (!root) return;
    element.querySelectorAll('.ev-panel.open').forEach(p => { if (p !== root) p.classList.remove('open'); });
    root.classList.add('open');
  }
  clearActive();
  link.classList.add('active');
  let first = null;
  for (const k of (link.getAttribute('data-ev') || '').split(' ').filter(Boolean)) {
    root.querySelectorAll('mark.e' + k).forEach(m => { m.classList.add('active'); if (!first) first = m; });
  }
  if (!first) return;
  const box = first.closest('.ev-box');
  if (box) box.scrollTop += first.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
  const r = (box || first).getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) (box || first).scrollIntoView({block: 'nearest', behavior: 'smooth'});
}
element.addEventListener('click', (ev) => {
  const close = ev.target.closest('a.close-panel');
  if (close) { ev.preventDefault(); const p = close.closest('.ev-panel'); if (p) p.classList.remove('open'); return; }
  const link = ev.target.closest('a.evlink');
  if (link) { ev.preventDefault(); showEvidence(link); return; }
  const mark = ev.target.closest('mark.ev');
  if (!mark) return;
  const ks = new Set();
  for (let m = mark; m && m !== element; m = m.parentElement) {
    if (m.matches && m.matches('mark.ev')) m.classList.forEach(c => { if (/^e\d+$/.test(c)) ks.add(c.slice(1)); });
  }
  const scope = mark.closest('.ev-panel');
  clearActive();
  let first = null;
  element.querySelectorAll('a.evlink').forEach(a => {
    if ((a.getAttribute('data-panel') || '') !== (scope ? scope.id : '')) return;
    if ((a.getAttribute('data-ev') || '').split(' ').some(k => ks.has(k))) { a.classList.add('active'); if (!first) first = a; }
  });
  ks.forEach(k => (scope || element).querySelectorAll('mark.e' + k).forEach(m => m.classList.add('active')));
  if (first) first.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
"""


# --- evaluate: stored runs and their comparison ---------------------------------------------------------------------

RUN_COLUMNS = ["run", "started", "QA file", "questions", "key_facts_correct", "refusal_accuracy", "citation_validity",
               "faithfulness", "answer_total_s_p50", "model", "commit", "state"]


def list_runs(root: Path) -> list[dict]:
    """The QA evaluation runs stored under root (as ``brief eval --qa`` and this UI store them), newest first."""
    out = []
    root = Path(root)
    if not root.is_dir():
        return out
    for d in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        settings_path, result_path = d / "settings.json", d / "result.json"
        if not (settings_path.is_file() or result_path.is_file()):
            continue  # not a QA run (e.g. a checker benchmark)
        try:
            settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
            result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.is_file() else None
        except (OSError, ValueError):
            out.append({"run": d.name, "state": "unreadable"})
            continue
        summary = (result or {}).get("summary") or {}
        if result is None:
            items = d / "items.jsonl"
            n = sum(1 for line in items.read_text(encoding="utf-8").splitlines() if line.strip()) if items.is_file() else 0
            state = f"unfinished ({n} done)"
        else:
            state = "finished"
        commit = str(settings.get("git_commit") or (result or {}).get("git_commit") or "")[:10]
        out.append({"run": d.name, "started": settings.get("started") or (result or {}).get("date") or "",
                    "QA file": Path(str(settings.get("qa_file") or (result or {}).get("file") or "")).name,
                    "questions": summary.get("questions", ""),
                    **{k: summary.get(k, "") for k in RUN_COLUMNS[4:9]},
                    "model": settings.get("model") or (result or {}).get("model") or "",
                    "commit": commit + ("+dirty" if settings.get("git_dirty") and commit else ""), "state": state})
    return out


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([[("—" if r.get(c) is None else str(r.get(c, ""))) for c in RUN_COLUMNS] for r in runs],
                        columns=RUN_COLUMNS)


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def comparison_html(c: dict, name_a: str = "A", name_b: str = "B") -> str:
    """``eval.qa.run.compare_runs`` output as HTML: improved and regressed metrics, and questions whose verdict changed."""
    def side(label: str, name: str, s: dict) -> str:
        return (f"<li><b>{label}</b>: <code>{esc(name)}</code> · {esc(s.get('model') or 'model not recorded')} · "
                f"commit <code>{esc(str(s.get('git_commit') or '—')[:10])}</code>"
                f"{' · ' + esc(Path(str(s['file'])).name) if s.get('file') else ''}"
                f"{' · <i>unfinished: scored on the questions it completed</i>' if s.get('unfinished') else ''}</li>")

    counts: dict[str, int] = {}
    for m in c["metrics"]:
        counts[m["change"]] = counts.get(m["change"], 0) + 1
    out = [f'<div class="eval-compare" data-improved="{counts.get("improved", 0)}" '
           f'data-regressed="{counts.get("regressed", 0)}"><ul class="runs">{side("A", name_a, c["a"])}'
           f'{side("B", name_b, c["b"])}</ul>']
    if not c.get("same_questions", True):
        out.append(f"<p class='warn'>The runs cover different questions ({len(c['only_a'])} only in A, "
                   f"{len(c['only_b'])} only in B), so their summary figures are not like for like.</p>")
    out.append(f"<p><b class='improved'>{counts.get('improved', 0)} improved</b> · "
               f"<b class='regressed'>{counts.get('regressed', 0)} regressed</b> · {counts.get('same', 0)} unchanged"
               + (f" · {counts.get('changed', 0)} counts changed" if counts.get("changed") else "")
               + (f" · {counts.get('new', 0) + counts.get('gone', 0)} only in one run"
                  if counts.get("new") or counts.get("gone") else "") + " (from A to B)</p>")
    order = {"regressed": 0, "improved": 1, "changed": 2, "new": 3, "gone": 4}
    arrow = {"improved": "▲ improved", "regressed": "▼ regressed", "changed": "changed", "new": "new in B",
             "gone": "only in A"}

    def metric_table(ms: list[dict]) -> str:
        return ("<table class='brief-table cmp-metrics'><tr><th>Metric</th><th>A</th><th>B</th><th>B − A</th>"
                "<th>From A to B</th></tr>" + "".join(
                    f"<tr class='{m['change']}' data-metric='{esc(m['metric'])}'><td>{esc(m['metric'])}</td>"
                    f"<td>{esc(_num(m['a']))}</td><td>{esc(_num(m['b']))}</td><td>{esc(_num(m['delta']))}</td>"
                    f"<td class='chg'>{esc(arrow.get(m['change'], m['change']))}</td></tr>" for m in ms) + "</table>")

    moved = sorted((m for m in c["metrics"] if m["change"] in ("regressed", "improved")),
                   key=lambda m: order[m["change"]])
    other = [m for m in c["metrics"] if m["change"] not in ("regressed", "improved", "same")]
    out.append(metric_table(moved) if moved else "<p>No metric improved or regressed.</p>")
    if other:
        out.append(f"<details><summary>Counts that changed and metrics only one run has ({len(other)})</summary>"
                   f"{metric_table(sorted(other, key=lambda m: order.get(m['change'], 5)))}</details>")
    if c.get("items"):
        out.append("<h4>Questions whose verdict changed</h4><table class='brief-table cmp-items'><tr><th>Question</th>"
                   "<th>What</th><th>Change</th><th>Answer in A</th><th>Answer in B</th></tr>" + "".join(
                       f"<tr class='{esc(i['change'])}'><td><code>{esc(i['id'])}</code> {esc(i['question'])}</td>"
                       f"<td>{esc(i['what'])}</td><td class='chg'>{esc(arrow.get(i['change'], i['change']))}</td>"
                       f"<td><small>{esc((i.get('a') or '')[:300])}</small></td>"
                       f"<td><small>{esc((i.get('b') or '')[:300])}</small></td></tr>" for i in c["items"]) + "</table>")
    return "".join(out) + "</div>"


CSS = """
.brief-answer .q { font-weight: 600; margin-bottom: .4em; }
.brief-answer .answer-text { line-height: 1.6; font-size: 1.05em; }
.brief-answer .refusal { padding: .6em .8em; border-left: 4px solid #d97706; background: rgba(217,119,6,.08); }
.brief-answer .pending { color: var(--body-text-color-subdued); font-style: italic; margin: .4em 0; }
.brief-answer a.cite, .brief-answer a.srclink { text-decoration: none; font-weight: 600; cursor: pointer; }
.brief-answer a.cite { font-size: .8em; vertical-align: super; line-height: 0; margin: 0 0 0 1px; padding: 0; }
.brief-answer .preview { color: var(--body-text-color-subdued); }
.brief-answer .chk { font-size: .8em; margin-left: 2px; cursor: help; }
.brief-answer .chk.ok { color: #15803d; } .brief-answer .chk.bad { color: #b91c1c; }
.brief-answer .sent.dropped { color: var(--body-text-color-subdued); text-decoration: line-through; }
.brief-answer .dropped small { display: block; color: var(--body-text-color-subdued); }
.brief-answer .legend, .brief-answer .timing { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .5em; }
.brief-answer .sources { margin-top: .8em; } .brief-answer .sources-title { font-weight: 600; }
.brief-answer .sources ul { margin: .2em 0 0 1.2em; padding: 0; }
.brief-answer .snippet { font-size: .9em; margin: .2em 0 .6em; white-space: pre-wrap; }
.src-panel { display: none; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em; margin-top: .8em; }
.src-panel.open, .src-panel:target { display: block; }
.src-head { font-size: .9em; margin-bottom: .3em; } .src-head .close-panel { float: right; }
.src-claim { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .3em; }
.article-box { max-height: 22em; overflow-y: auto; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.article-body, .reader-comment { white-space: pre-wrap; line-height: 1.5; }
.reader-comment { margin-top: .8em; padding: .5em .7em; border-left: 4px solid #7c3aed; background: rgba(124,58,237,.07); }
.comment-label { font-size: .8em; font-weight: 600; color: #7c3aed; white-space: normal; margin-bottom: .3em; }
mark.psg { background: rgba(250,204,21,.25); color: inherit; }
mark.support { background: #fb923c; color: #111; border-radius: 2px; }
mark.evidence { background: #fde047; color: #111; border-radius: 2px; }
.brief-meta { border-collapse: collapse; margin: .4em 0 .8em; font-size: .92em; }
.brief-meta th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; white-space: nowrap; }
.brief-meta td { padding: 2px 0; }
.brief-table { border-collapse: collapse; width: 100%; font-size: .92em; margin-bottom: 1em; }
.brief-table th, .brief-table td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top; }
.history ol { padding-left: 1.2em; } .history li { margin-bottom: .6em; }
.history .hq { font-weight: 600; } .history small { color: var(--body-text-color-subdued); }
.search-hit { border-bottom: 1px solid var(--border-color-primary); padding: .4em 0; }
.search-hit .hit-text { white-space: pre-wrap; font-size: .92em; }
.ingest-report li.refused { color: #b91c1c; }
#article-table *, #eval-items *, #eval-summary *, #eval-types *, #eval-runs * { font-family: var(--font) !important; }
.brief-table td.when { white-space: nowrap; }
.brief-answer .chk.verdict { display: inline-block; text-decoration: none; font-size: .72em; font-weight: 600;
  margin: 0 .35em 0 .25em; padding: 0 .35em; border-radius: 4px; vertical-align: .1em; white-space: nowrap; }
.chk.verdict.supported { color: #15803d; background: rgba(21,128,61,.1); }
.chk.verdict.unjudged { color: #a16207; background: rgba(202,138,4,.12); }
.chk.verdict.flagged { color: #b91c1c; background: rgba(185,28,28,.1); }
.sum-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.15fr); gap: 1.2em; align-items: start; }
@media (max-width: 900px) { .sum-grid { grid-template-columns: minmax(0, 1fr); } }
.sum-text { position: sticky; top: .5em; }
.sum-text .ev-box { max-height: 78vh; overflow-y: auto; border: 1px solid var(--border-color-primary);
  border-radius: 8px; padding: .5em .7em; }
.sum-overview p { margin: .2em 0 .6em; line-height: 1.5; }
.sum-entry { border-top: 1px solid var(--border-color-primary); padding-top: .5em; margin-top: .6em; }
.sum-entry h4, .sum-overview h4 { margin: 0 0 .3em; } .sum-entry h5 { margin: .6em 0 .1em; font-size: .95em; }
.sum-list { margin: .1em 0 .4em 1.2em; padding: 0; } .sum-list li { margin: .15em 0; line-height: 1.4; }
.sum-empty, .no-ev { color: var(--body-text-color-subdued); }
.sum-dropped { margin-top: .8em; } .sum-dropped .reason { font-size: .85em; color: #b91c1c; }
a.evlink { color: inherit; text-decoration: none; border-bottom: 1px dotted currentColor; cursor: pointer;
  padding: 0 !important; }
a.evlink:hover { background: rgba(253,224,71,.35); }
a.evlink.active { background: rgba(251,146,60,.35); border-bottom-style: solid; }
mark.ev { background: rgba(253,224,71,.45); color: inherit; border-radius: 2px; cursor: pointer; }
mark.ev.active { background: #fb923c; color: #111; }
.ev-panel.open { display: block; }
.council-briefing li.weak::marker, .council-briefing small.weak { color: #b91c1c; }
.council-briefing li.strong::marker, .council-briefing small.strong { color: #15803d; }
.council-briefing .cite-q { display: inline-block; margin-bottom: .3em; }
.eval-compare tr.improved .chg, .eval-compare b.improved { color: #15803d; }
.eval-compare tr.regressed .chg, .eval-compare b.regressed { color: #b91c1c; }
.eval-compare .warn { color: #b45309; }
"""


def history_html(history: list[dict]) -> str:
    if not history:
        return '<div class="history"><small>Your questions and answers in this session will be listed here.</small></div>'
    items = []
    for h in reversed(history):
        items.append(f'<li><div class="hq">{esc(h["question"])}</div><div>{esc(h["text"])}</div>'
                     f'<small>{esc(h["status"].replace("_", " "))} · {esc(h["when"])} · {h["total_s"]:.1f} s</small></li>')
    return f'<div class="history"><ol reversed>{"".join(items)}</ol></div>'


# --- the app -------------------------------------------------------------------------------------------

def _choices(update: dict) -> dict:
    """The choices and value of a gr.update, as keyword arguments for building the component."""
    return {k: update[k] for k in ("choices", "value") if k in update}


def build_app(service: BriefService, settings=None, runs_dir: str | Path | None = None) -> gr.Blocks:
    """The whole web interface over one service (the same code path as the CLI).

    ``runs_dir``: where evaluation runs are stored and listed (default: eval/runs, as ``brief eval`` uses).
    """
    from eval.qa.run import RUNS_DIR

    settings = settings or service.settings
    max_bytes = min(MAX_FILE_BYTES, getattr(getattr(settings, "retrieval", None), "max_file_bytes", MAX_FILE_BYTES))
    runs_root = Path(runs_dir) if runs_dir else RUNS_DIR
    summary_cache: dict = {"key": None, "value": {}, "failures": {}}
    summary_lock = threading.Lock()

    # -- data access that tolerates an empty or missing index --
    def docs() -> list:
        try:
            return service.documents()
        except Exception:  # noqa: BLE001
            return []

    def summaries() -> tuple[dict, dict]:
        """({doc_id: newest stored summary of its current text}, {doc_id: last failure}), re-read when the store or
        the index changes (another process may be running `brief summarize`)."""
        root = service.summaries_dir
        try:
            current = (service.index_dir / "CURRENT").read_text().strip()
        except OSError:
            current = None
        stamp = []
        for name in ("summaries.jsonl", "summaries.sqlite", "summaries.sqlite-wal"):
            try:
                st = (root / name).stat()
                stamp.append((st.st_size, st.st_mtime_ns))
            except OSError:
                stamp.append(None)
        key = (current, tuple(stamp))
        with summary_lock:
            if key != summary_cache["key"]:
                value, failures = {}, {}
                if root.is_dir():
                    try:
                        value = {r.doc_id: r for r in service.stored_summaries()}
                        failures = service.result_store().failures()
                    except Exception:  # noqa: BLE001 - a store being written or an empty index: no summaries yet
                        value, failures = {}, {}
                summary_cache.update(key=key, value=value, failures=failures)
            return summary_cache["value"], summary_cache["failures"]

    def councils() -> list[str]:
        names = set()
        try:
            names.update(service.retriever.councils)
        except Exception:  # noqa: BLE001
            pass
        for d in docs():
            names.update(d.meta.councils)
        for rec in summaries()[0].values():
            names.update(c.council for c in rec.councils)
        return sorted(names)

    def stats_line() -> str:
        try:
            s = service.stats()
        except Exception:  # noqa: BLE001
            return "No index yet: add articles in the **Add articles** tab or run `brief ingest data/articles`."
        return (f"{s['documents']} articles · {s['chunks']} passages · {len(s['councils'])} councils · "
                f"index `{service.index_dir}`")

    def article_rows(query: str = "") -> pd.DataFrame:
        q = (query or "").strip().lower()
        recs, failures = summaries()
        rows = []
        for d in docs():
            rec = recs.get(d.id)
            row = article_row(d, rec, failures.get(d.id))
            if q and q not in " ".join(row).lower() and q not in d.text.lower() and \
                    q not in (rec.overview.lower() if rec is not None else ""):
                continue
            rows.append(row)
        return pd.DataFrame(rows, columns=ARTICLE_HEADERS)

    def article_choices() -> list[tuple[str, str]]:
        return [(f"{d.title or d.id} ({d.date or 'undated'})", d.id) for d in docs()]

    # -- Ask --
    def ask(question: str, council: str, date_from: str, date_to: str, history: list[dict]):
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        try:
            filters = parse_filters(council, date_from, date_to)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        view = AnswerView(service, question)
        yield view.render(), history, gr.skip(), gr.skip()
        last = time.monotonic()
        try:
            for ev in service.ask_stream(question, filters):
                if isinstance(ev, PassagesFound):
                    view.passages = ev.passages
                    view.stage = f"Found {len(ev.passages)} passages; checking that they answer the question…"
                elif isinstance(ev, TokenStreamed):
                    view.tokens += 1
                    if time.monotonic() - last < 0.8:
                        continue
                elif isinstance(ev, SentenceChecked):
                    view.sentences.append(ev.sentence)
                elif isinstance(ev, AnswerReady):
                    view.answer = ev.answer
                    if ev.answer.passages and not view.passages:
                        view.passages = ev.answer.passages
                    continue
                last = time.monotonic()
                yield view.render(), history, gr.skip(), gr.skip()
        except Exception as e:  # noqa: BLE001 - show the problem instead of a hung spinner
            raise gr.Error(f"Could not answer: {e}") from None
        a = view.answer
        entry = {"question": question, "status": a.status if a else "error", "text": a.text if a else "",
                 "total_s": (a.timings.get("total_s", 0.0) if a else 0.0), "when": time.strftime("%H:%M:%S"),
                 "html": view.render()}
        history = history + [entry]
        choices = [(f"{i + 1}. {h['question'][:80]}", i) for i, h in enumerate(history)]
        yield entry["html"], history, history_html(history), gr.update(choices=choices, value=None)

    def show_earlier(index, history: list[dict]):
        if index is None or not isinstance(index, int) or not (0 <= index < len(history)):
            return gr.skip()
        return history[index]["html"]

    def search_ui(query: str, k: float, council: str, date_from: str, date_to: str) -> str:
        query = (query or "").strip()
        if not query:
            return '<div class="search-results"><small>Type words to search for.</small></div>'
        try:
            filters = parse_filters(council, date_from, date_to)
            res = service.search(query, int(k or 5), filters)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        out = []
        if res.missing_councils:
            out.append(f'<p>The articles don\'t cover {esc(", ".join(res.missing_councils))}.</p>')
        for i, h in enumerate(res.hits, 1):
            out.append(f'<div class="search-hit" data-doc="{esc(h.chunk.doc_id)}"><b>[{i}] {esc(h.title) or esc(h.chunk.doc_id)}</b> '
                       f'<small>{esc(h.date or "undated")} · <code>{esc(h.chunk.doc_id)}</code> · score {h.score:.4f}</small>'
                       f'<div class="hit-text">{esc(h.chunk.text)}</div></div>')
        if not res.hits and not res.missing_councils:
            out.append("<p>No passages matched.</p>")
        return '<div class="search-results">' + "".join(out) + "</div>"

    def ask_api(question: str, council: str = "", date_from: str = "", date_to: str = "") -> dict:
        """Answer a question from the articles: the Answer as a dict (status, text, sentences, passages, ...)."""
        if not (question or "").strip():
            raise gr.Error("Give a question.")
        try:
            filters = parse_filters(council, date_from, date_to)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        return service.ask(question, filters).to_dict()

    def search_api(query: str, k: int = 5, council: str = "", date_from: str = "", date_to: str = "") -> list[dict]:
        """Hybrid search: the k best passages as dicts (article_id, title, date, source, score, text, ...)."""
        if not (query or "").strip():
            raise gr.Error("Give a query.")
        try:
            filters = parse_filters(council, date_from, date_to)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        return [hit_dict(h) for h in service.search(query, int(k or 5), filters).hits]

    # -- Articles --
    def article_view(doc_id: str | None) -> str:
        if not doc_id:
            return '<div class="article-view"><small>Select an article in the table (or the list above) to read it.</small></div>'
        d = service.document(doc_id)
        if d is None:
            return f'<div class="article-view"><p>No article {esc(doc_id)} in the index.</p></div>'
        recs, failures = summaries()
        return article_view_html(d, recs.get(doc_id), failures.get(doc_id))

    def summary_button(doc_id: str | None):
        if not doc_id or service.document(doc_id) is None:
            return gr.update(visible=False)
        have = doc_id in summaries()[0]
        return gr.update(visible=True, value="Regenerate summary" if have else "Generate summary",
                         variant="secondary" if have else "primary", interactive=True)

    def open_article(doc_id: str | None):
        return article_view(doc_id), summary_button(doc_id)

    def make_summary(doc_id: str | None, query: str, progress=gr.Progress()):
        if not doc_id or service.document(doc_id) is None:
            raise gr.Error("Open an article first.")
        force = doc_id in summaries()[0]
        try:
            report = generate_summary(service, doc_id, force=force, progress=progress)
        except Exception as e:  # noqa: BLE001 - the backend could not start (no model, server down)
            raise gr.Error(f"Could not summarize: {e}") from None
        if report.stopped:
            gr.Warning(f"Summary stopped: {report.stopped}")
        elif doc_id in report.failed:
            gr.Warning(f"The summary failed: {report.failed[doc_id]}")
        cs = councils()
        return (article_view(doc_id), summary_button(doc_id), article_rows(query), stats_line(),
                gr.update(choices=[ALL_COUNCILS] + cs), gr.update(choices=cs))

    def on_table_select(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    # -- Councils --
    def council_briefing(council: str | None) -> str:
        if not council:
            return "<small>Pick a council to see what the articles say about it.</small>"
        return council_view_html(service, council, docs(), summaries()[0])

    # -- Add articles --
    def refreshed(report_html: str):
        cs = [ALL_COUNCILS] + councils()
        return (report_html, article_rows(), gr.update(choices=article_choices()), gr.update(choices=cs),
                gr.update(choices=councils()), stats_line())

    def run_ingest(folder: Path, names: dict[str, str], refused: list[tuple[str, str]], progress) -> str:
        report = None
        if any(folder.iterdir()):
            def cb(stage: str, done: int, total: int) -> None:
                progress((done, max(total, 1)), desc=_STAGES.get(stage, stage))
            try:
                report = service.ingest([folder], progress=cb)
            except Exception as e:  # noqa: BLE001 - a bad file must not take the page down
                refused.append(("(all files)", f"Indexing failed: {e}"))
        items = []
        if report is not None:
            for label, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
                for doc_id in ids:
                    d = service.document(doc_id)
                    title = d.title if d is not None else doc_id
                    items.append(f'<li class="{label}">{label}: <b>{esc(title)}</b> <code>{esc(doc_id)}</code></li>')
            for issue in report.refused:
                base = Path(str(issue.source)).name  # the generated safe name, maybe with ':line' for .jsonl
                safe, _, line = base.partition(":")
                shown = names.get(safe) or names.get(Path(safe).stem) or safe
                refused.append((f"{shown} line {line}" if line else shown, issue.message))
        for name, msg in refused:
            items.append(f'<li class="refused">refused: <b>{esc(name)}</b>: {esc(msg)}</li>')
        summary = ""
        if report is not None:
            summary = (f"<p>{report.documents_total} articles, {report.chunks_total} passages in the index; "
                       f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged.</p>")
        return f'<div class="ingest-report">{summary}<ul>{"".join(items) or "<li>Nothing to add.</li>"}</ul></div>'

    def add_files(files, progress=gr.Progress()):
        files = [f for f in (files or []) if f]
        if not files:
            return *refreshed('<div class="ingest-report"><p>Choose one or more files first.</p></div>'), gr.skip()
        if len(files) > MAX_FILES:
            return *refreshed(f'<div class="ingest-report"><ul><li class="refused">refused: {len(files)} files at once; '
                              f"add at most {MAX_FILES} at a time.</li></ul></div>"), gr.skip()
        refused: list[tuple[str, str]] = []
        names: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="brief-upload-") as tmp:
            folder = Path(tmp)
            for f in files:
                src = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
                shown = src.name  # for messages only; never used as a path
                suffix = src.suffix.lower()
                if suffix not in ALLOWED_SUFFIXES:
                    refused.append((shown, f"unsupported file type; use {', '.join(ALLOWED_SUFFIXES)}"))
                    continue
                try:
                    size = src.stat().st_size
                except OSError:
                    refused.append((shown, "the upload could not be read"))
                    continue
                if size > max_bytes:
                    refused.append((shown, f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit"))
                    continue
                digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
                safe = f"upload-{digest}{'.html' if suffix == '.htm' else suffix}"
                shutil.copyfile(src, folder / safe)
                if suffix != ".jsonl":  # remember the uploaded name as metadata only, via a sidecar
                    (folder / f"upload-{digest}.json").write_text(json.dumps({"uploaded_as": shown}), encoding="utf-8")
                names[safe], names[Path(safe).stem] = shown, shown
            return *refreshed(run_ingest(folder, names, refused, progress)), None  # clear the processed uploads

    def add_pasted(title: str, date: str, source: str, text: str, progress=gr.Progress()):
        text, title, date, source = (text or "").strip(), (title or "").strip(), (date or "").strip(), (source or "").strip()
        if not text:
            return refreshed('<div class="ingest-report"><p>Paste the article text first.</p></div>')
        if date and not _DATE.match(date):
            return refreshed('<div class="ingest-report"><ul><li class="refused">refused: the date must look like '
                             "2015 or 2015-09-01.</li></ul></div>")
        if len(text.encode("utf-8")) > max_bytes:
            return refreshed('<div class="ingest-report"><ul><li class="refused">refused: the text is over the size limit.</li></ul></div>')
        digest = hashlib.sha256("\0".join((title, date, source, text)).encode("utf-8")).hexdigest()[:16]
        with tempfile.TemporaryDirectory(prefix="brief-paste-") as tmp:
            folder = Path(tmp)
            stem = f"pasted-{digest}"
            (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
            (folder / f"{stem}.json").write_text(json.dumps({"title": title or None, "date": date or None,
                                                             "source": source or None}), encoding="utf-8")
            return refreshed(run_ingest(folder, {f"{stem}.txt": title or "pasted text", stem: title or "pasted text"},
                                        [], progress))

    # -- Evaluate --
    def qa_files() -> list[tuple[str, str]]:
        found = {}
        for d in (DATASETS_DIR, Path.cwd() / "eval" / "datasets"):
            if d.is_dir():
                for p in sorted(d.glob("*.jsonl")):
                    found.setdefault(p.name, str(p.resolve()))
        return [(name, path) for name, path in found.items()]

    def stored_runs() -> list[dict]:
        try:
            return list_runs(runs_root)
        except OSError:
            return []

    def runs_outputs(runs: list[dict] | None = None):
        """The stored-runs table and the two run pickers (B: the newest run, A: the one before)."""
        runs = stored_runs() if runs is None else runs
        usable = [r for r in runs if r.get("state") != "unreadable"]
        choices = [(f"{r['run']} · {r.get('QA file') or '?'} · {r.get('questions') or '?'} q · {r.get('state')}", r["run"])
                   for r in usable]
        b = usable[0]["run"] if usable else None
        # A: the newest earlier run over the same questions, else simply the one before B
        like = [r["run"] for r in usable[1:] if (r.get("QA file"), r.get("questions")) ==
                (usable[0].get("QA file"), usable[0].get("questions"))]
        a = like[0] if like else (usable[1]["run"] if len(usable) > 1 else b)
        return runs_frame(runs), gr.update(choices=choices, value=a), gr.update(choices=choices, value=b)

    def compare_ui(run_a: str | None, run_b: str | None) -> str:
        from eval.qa.run import compare_runs, load_run

        names = {r["run"] for r in stored_runs()}
        if not run_a or not run_b:
            raise gr.Error("Pick two stored runs to compare.")
        if run_a not in names or run_b not in names:  # only listed runs, never an arbitrary path
            raise gr.Error("Pick runs from the list.")
        try:
            c = compare_runs(load_run(runs_root / run_a), load_run(runs_root / run_b))
        except (OSError, ValueError, KeyError) as e:
            raise gr.Error(f"Could not read the runs: {e}") from None
        return comparison_html(c, run_a, run_b)

    def run_eval(path: str, limit: float, progress=gr.Progress()):
        from eval.qa.run import load_qa, new_run_dir, run_qa_eval

        allowed = dict((p, n) for n, p in qa_files())
        if path not in allowed:  # only the listed files, never an arbitrary path
            raise gr.Error("Choose one of the listed QA files.")
        n = int(limit or 0)
        try:
            total = len(load_qa(Path(path))[: n or None])
        except ValueError as e:
            raise gr.Error(str(e)) from None

        class Counting:
            """The service, reporting each question to the progress bar (same code path as the CLI)."""

            def __init__(self) -> None:
                self.done = 0

            def __getattr__(self, name):
                return getattr(service, name)

            def ask(self, question, filters=None):
                progress((self.done, total), desc=f"Question {self.done + 1} of {total}")
                answer = service.ask(question, filters)
                self.done += 1
                return answer

        progress((0, total), desc="Starting")
        run_dir = new_run_dir(runs_root)  # stored like `brief eval --qa` runs, so later runs can be compared with it
        result = run_qa_eval(Counting(), Path(path), limit=n or None, progress=False, run_dir=run_dir)
        s = result["summary"]
        # every headline number the evaluation reports (the set grows as eval.qa.run gains metrics)
        summary = pd.DataFrame([[k, "—" if v is None else str(v)] for k, v in s.items()
                                if v is None or isinstance(v, (int, float, str))], columns=["metric", "value"])
        type_rows = [{"type": t, **{k: ("—" if x is None else x) for k, x in v.items()}}
                     for t, v in (s.get("by_type") or {}).items()]
        by_type = pd.DataFrame(type_rows).astype(str) if type_rows else pd.DataFrame(columns=["type"])
        items = pd.DataFrame([[r.get("id"), r.get("type"), r.get("status"), "yes" if r.get("refusal_correct") else "no",
                               f"{r.get('facts_found', '')}/{r.get('facts_total', '')}" if r.get("answerable") else "",
                               f"{(r.get('timings') or {}).get('total_s', 0):.1f}", r.get("question"),
                               (r.get("answer") or "")[:200]]
                              for r in result["items"]],
                             columns=["id", "type", "status", "refusal ok", "facts", "seconds", "question", "answer"])
        rates = ["recall@5", "key_facts_correct", "key_facts_partial", "refusal_accuracy", "citation_validity"]
        rates += [k for k in ("faithfulness", "citation_precision", "citation_recall") if k in s]
        plot = pd.DataFrame([[k, float(s[k])] for k in rates if isinstance(s.get(k), (int, float))],
                            columns=["metric", "value"])
        head = (f"**{esc(allowed[path])}**: {s.get('questions')} questions ({s.get('answerable')} answerable, "
                f"{s.get('unanswerable')} unanswerable) with `{esc(result.get('model'))}`; stored as run "
                f"`{esc(run_dir.name)}`.")
        return (head, summary, plot, by_type, items, *runs_outputs())

    # -- layout --
    with gr.Blocks(title="brief: Ofsted inspection articles", analytics_enabled=False) as app:
        gr.Markdown("## brief: grounded answers about Ofsted inspections of children's services")
        stats = gr.Markdown(stats_line(), elem_id="stats")
        history = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"):
                with gr.Row():
                    with gr.Column(scale=3):
                        question = gr.Textbox(label="Question", placeholder="e.g. Why was Darlington rated inadequate?",
                                              lines=2, elem_id="question")
                        with gr.Row():
                            council = gr.Dropdown([ALL_COUNCILS] + councils(), value=ALL_COUNCILS, label="Council",
                                                  elem_id="council-filter")
                            date_from = gr.Textbox(label="From (YYYY or YYYY-MM-DD)", elem_id="date-from")
                            date_to = gr.Textbox(label="To (YYYY or YYYY-MM-DD)", elem_id="date-to")
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="ask-btn")
                        gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Example questions")
                        answer = gr.HTML('<div class="brief-answer"><small>The answer appears here, sentence by sentence, '
                                         "each checked against the passage it cites.</small></div>",
                                         elem_id="answer", js_on_load=ANSWER_JS, min_height=80)
                    with gr.Column(scale=1):
                        gr.Markdown("#### This session")
                        earlier = gr.Dropdown([], value=None, label="Show an earlier answer", type="value",
                                              elem_id="history-pick")
                        hist = gr.HTML(history_html([]), elem_id="history")
                with gr.Accordion("Search passages (no model)", open=False, elem_id="search-acc"):
                    with gr.Row():
                        search_q = gr.Textbox(label="Search words", scale=4, elem_id="search-q")
                        search_k = gr.Number(5, label="Passages", precision=0, minimum=1, maximum=20, scale=1)
                        search_btn = gr.Button("Search", scale=1, elem_id="search-btn")
                    search_out = gr.HTML(elem_id="search-out")
            with gr.Tab("Articles", id="articles", elem_id="tab-articles"):
                with gr.Row():
                    art_q = gr.Textbox(label="Search articles (title, council, judgement or text)", scale=3,
                                       elem_id="article-search")
                    art_pick = gr.Dropdown(article_choices(), value=None, label="Open article", scale=2,
                                           elem_id="article-pick")
                table = gr.Dataframe(article_rows(), headers=ARTICLE_HEADERS, interactive=False, wrap=True,
                                     datatype="str", elem_id="article-table", max_height=640,
                                     column_widths=["12%", "25%", "8%", "11%", "9%", "17%", "8%", "10%"],
                                     label="Articles (click a column header to sort, a row to open)")
                with gr.Row():
                    gen_btn = gr.Button("Generate summary", visible=False, variant="primary", scale=0, min_width=220,
                                        elem_id="summary-btn")
                    gr.Markdown("Structured summaries come from the local model; every statement is checked against "
                                "the article and linked to its evidence.", elem_id="summary-note")
                art_view = gr.HTML(article_view(None), elem_id="article-view", js_on_load=EVIDENCE_JS)
            with gr.Tab("Councils", id="councils", elem_id="tab-councils"):
                council_pick = gr.Dropdown(councils(), value=None, label="Council", elem_id="council-pick")
                briefing = gr.HTML(council_briefing(None), elem_id="council-briefing", js_on_load=EVIDENCE_JS)
            with gr.Tab("Add articles", id="add", elem_id="tab-add"):
                gr.Markdown(f"Upload up to {MAX_FILES} files ({', '.join(ALLOWED_SUFFIXES)}), at most "
                            f"{max_bytes // 1_000_000} MB each, or paste an article. They are cleaned, indexed and "
                            "searchable at once; a bad file is refused with a message and nothing else changes.")
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                                         label="Article files", elem_id="upload-files")
                        upload_btn = gr.Button("Add files", variant="primary", elem_id="upload-btn")
                    with gr.Column():
                        p_title = gr.Textbox(label="Title", elem_id="paste-title")
                        with gr.Row():
                            p_date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="paste-date")
                            p_source = gr.Textbox(label="Source (URL or publication)", elem_id="paste-source")
                        p_text = gr.Textbox(label="Article text", lines=8, elem_id="paste-text")
                        paste_btn = gr.Button("Add pasted article", elem_id="paste-btn")
                ingest_out = gr.HTML(elem_id="ingest-report")
            with gr.Tab("Evaluate", id="evaluate", elem_id="tab-evaluate"):
                files = qa_files()
                with gr.Row():
                    qa_pick = gr.Dropdown(files, value=files[0][1] if files else None, label="QA file",
                                          elem_id="qa-pick")
                    qa_limit = gr.Number(5, label="Questions (0 = all)", precision=0, minimum=0, elem_id="qa-limit")
                    eval_btn = gr.Button("Run evaluation", variant="primary", elem_id="eval-btn")
                gr.Markdown("Each question goes through the same search and answer path as **Ask** "
                            "(expect 10–30 s per question on a laptop CPU).")
                eval_head = gr.Markdown(elem_id="eval-head")
                with gr.Row():
                    eval_summary = gr.Dataframe(headers=["metric", "value"], interactive=False, label="Headline metrics",
                                                elem_id="eval-summary", max_height=720)
                    eval_plot = gr.BarPlot(x="metric", y="value", y_lim=[0, 1], label="Rates (0–1)", elem_id="eval-plot",
                                           x_label_angle=-40, height=420)
                eval_types = gr.Dataframe(interactive=False, label="By question type", elem_id="eval-types",
                                          headers=["type"])
                eval_items = gr.Dataframe(interactive=False, wrap=True, label="Per question", elem_id="eval-items",
                                          headers=["id", "type", "status", "refusal ok", "facts", "seconds", "question",
                                                   "answer"],
                                          column_widths=["6%", "8%", "11%", "7%", "6%", "7%", "25%", "30%"])
                gr.Markdown(f"#### Stored runs\nRuns of `brief eval --qa` and of this tab, stored under "
                            f"`{esc(runs_root)}`. Pick two to see what improved and what regressed from A to B "
                            "(the same comparison as `brief eval --compare A B`).")
                first_runs = runs_outputs()
                eval_runs_df = gr.Dataframe(first_runs[0], interactive=False, label="Stored runs (newest first)",
                                            elem_id="eval-runs", wrap=True, max_height=420)
                with gr.Row():
                    run_a = gr.Dropdown(label="Run A (before)", elem_id="run-a", scale=3, **_choices(first_runs[1]))
                    run_b = gr.Dropdown(label="Run B (after)", elem_id="run-b", scale=3, **_choices(first_runs[2]))
                    cmp_btn = gr.Button("Compare", elem_id="compare-btn", scale=1)
                cmp_out = gr.HTML(elem_id="eval-compare")

        # -- events --
        model = {"concurrency_limit": 1, "concurrency_id": "model"}
        ask_outputs = [answer, history, hist, earlier]
        for trigger in (ask_btn.click, question.submit):
            trigger(ask, [question, council, date_from, date_to, history], ask_outputs, api_visibility="private",
                    show_progress_on=[answer], **model)
        earlier.change(show_earlier, [earlier, history], [answer], api_visibility="private")
        search_args = ([search_q, search_k, council, date_from, date_to], [search_out])
        search_btn.click(search_ui, *search_args, api_visibility="private")
        search_q.submit(search_ui, *search_args, api_visibility="private")
        gr.api(ask_api, api_name="ask_api", **model)
        gr.api(search_api, api_name="search_api", concurrency_limit=4, concurrency_id="search")

        art_q.change(article_rows, [art_q], [table], api_visibility="private")
        table.select(on_table_select, None, [art_pick], api_visibility="private")
        art_pick.change(open_article, [art_pick], [art_view, gen_btn], api_visibility="private")
        gen_btn.click(make_summary, [art_pick, art_q], [art_view, gen_btn, table, stats, council, council_pick],
                      api_visibility="private", show_progress_on=[art_view], **model)
        council_pick.change(council_briefing, [council_pick], [briefing], api_visibility="private")

        ingest_outputs = [ingest_out, table, art_pick, council, council_pick, stats]
        index_group = {"concurrency_limit": 1, "concurrency_id": "index"}
        upload_btn.click(add_files, [upload], ingest_outputs + [upload], api_visibility="private", **index_group)
        paste_btn.click(add_pasted, [p_title, p_date, p_source, p_text], ingest_outputs, api_visibility="private",
                        **index_group)
        eval_btn.click(run_eval, [qa_pick, qa_limit], [eval_head, eval_summary, eval_plot, eval_types, eval_items,
                                                      eval_runs_df, run_a, run_b], api_visibility="private", **model)
        cmp_btn.click(compare_ui, [run_a, run_b], [cmp_out], api_visibility="private")

        def on_load():  # the index, summaries or stored runs may have changed (CLI) since the app was built
            cs = councils()
            return (stats_line(), article_rows(), gr.update(choices=article_choices()),
                    gr.update(choices=[ALL_COUNCILS] + cs), gr.update(choices=cs), *runs_outputs())

        app.load(on_load, None, [stats, table, art_pick, council, council_pick, eval_runs_df, run_a, run_b],
                 api_visibility="private")

    app.queue(default_concurrency_limit=1, max_size=QUEUE_MAX)
    return app


THEME_FONTS = {"font": ["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
               "font_mono": ["ui-monospace", "Menlo", "Consolas", "monospace"]}


def serve(service: BriefService, host: str = "127.0.0.1", port: int = 7860, auth=None, *, block: bool = True,
          preload_model: bool = True, quiet: bool = False, runs_dir: str | Path | None = None) -> gr.Blocks:
    """Serve the interface; refuses a non-loopback address unless a login is set (BRIEF_USERNAME/BRIEF_PASSWORD).

    With ``block=False`` the server runs in a background thread and the app is returned (``app.close()`` stops it).
    """
    auth = auth or auth_from_env()
    check_bind(host, auth)
    app = build_app(service, service.settings, runs_dir=runs_dir)
    if preload_model:  # load the model while the first page renders
        threading.Thread(target=lambda: _quietly(lambda: service.llm), daemon=True, name="brief-preload").start()
    if not quiet:
        shown = f"[{host}]" if ":" in host else host
        print(f"brief: serving http://{shown}:{port}/ ({'login required' if auth else 'this machine only'}; "
              "Ctrl-C to stop)", flush=True)
    app.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=not block, show_error=True,
               max_file_size=MAX_FILE_BYTES, ssr_mode=False, quiet=True, css=CSS,
               theme=gr.themes.Default(**THEME_FONTS), footer_links=["api"],
               auth_message="brief: sign in with BRIEF_USERNAME / BRIEF_PASSWORD")
    return app


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - the first question will report the problem
        pass
