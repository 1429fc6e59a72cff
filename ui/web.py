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

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from retrieval.search import SearchFilters  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402
from summarizer.records import Answer, AnswerSentence, Passage  # noqa: E402
from summarizer.service import BriefService  # noqa: E402
from summarizer.verify import content_terms  # noqa: E402

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
ARTICLE_HEADERS = ["ID", "Title", "Date", "Councils", "Inspection kind", "Judgements", "Source", "Type"]
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
        if s.supported:
            tip = f"Check: supported, {s.coverage:.0%} of its words are in the cited passage" + (f"; {s.note}" if s.note else "")
            badge = f'<span class="chk ok" title="{esc(tip)}">✓</span>'
        else:
            badge = f'<span class="chk bad" title="{esc("Check: not supported, " + s.note)}">✗</span>'
        return (f'<span class="sent {"ok" if s.supported else "dropped"}" data-supported="{str(s.supported).lower()}">'
                f'{esc(s.text)}{self._cite_links(i, s)}{badge}</span> ')

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
            parts.append('<div class="legend">✓ the check found the sentence\'s numbers, names and most of its words in '
                         'the passage it cites (citation validity). Click a [n] to see the passage in its article.</div>')
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

def build_app(service: BriefService, settings=None) -> gr.Blocks:
    """The whole web interface over one service (the same code path as the CLI)."""
    settings = settings or service.settings
    max_bytes = min(MAX_FILE_BYTES, getattr(getattr(settings, "retrieval", None), "max_file_bytes", MAX_FILE_BYTES))
    eval_runs: list[dict] = []
    eval_lock = threading.Lock()

    # -- data access that tolerates an empty or missing index --
    def docs() -> list:
        try:
            return service.documents()
        except Exception:  # noqa: BLE001
            return []

    def councils() -> list[str]:
        names = set()
        try:
            names.update(service.retriever.councils)
        except Exception:  # noqa: BLE001
            pass
        for d in docs():
            names.update(d.meta.councils)
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
        rows = []
        for d in docs():
            bits = _doc_meta_bits(d)
            row = [d.id, d.title, d.date or "", bits["councils"], bits["kind"], bits["judgements"], d.source or "",
                   bits["type"]]
            if q and q not in " ".join(row).lower() and q not in d.text.lower():
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
                if ev.kind == "passages":
                    view.passages = ev.data
                    view.stage = f"Found {len(ev.data)} passages; checking that they answer the question…"
                elif ev.kind == "token":
                    view.tokens += 1
                    if time.monotonic() - last < 0.8:
                        continue
                elif ev.kind == "sentence":
                    view.sentences.append(ev.data)
                elif ev.kind == "answer":
                    view.answer = ev.data
                    if ev.data.passages and not view.passages:
                        view.passages = ev.data.passages
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
        m = d.meta
        counts: dict[tuple, int] = {}
        for j in m.judgements:
            counts[(j.grade, j.council, j.area)] = counts.get((j.grade, j.council, j.area), 0) + 1
        judgements = "".join(
            f"<li><b>{esc(g)}</b>{esc(' — ' + c) if c else ''}{esc(' — ' + a) if a else ''}"
            f"{f' <small>({n} mentions, highlighted below)</small>' if n > 1 else ''}</li>"
            for (g, c, a), n in counts.items()) or "<li>none found</li>"
        rows = [("ID", f"<code>{esc(d.id)}</code>"), ("Date", esc(d.date or "undated")),
                ("Source", esc(d.source or "not recorded")), ("Councils", esc(", ".join(m.councils) or "none found")),
                ("Inspection kind", esc(m.inspection_kind or "not stated")), ("Judgements", f"<ul>{judgements}</ul>"),
                ("Inspection dates", esc(", ".join(m.inspection_dates) or "—")),
                ("Years mentioned", esc(", ".join(str(y) for y in m.years) or "—")), ("Type", esc(m.doc_type))]
        if d.comment_start is not None and d.comment_start < len(d.text):
            rows.append(("Reader comments", "from character " + str(d.comment_start) + " (marked below; never evidence)"))
        meta = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        marks = [(j.start, j.end, "evidence") for j in m.judgements if j.start is not None and j.end is not None]
        return (f'<div class="article-view" data-doc="{esc(d.id)}"><h3>{esc(d.title) or esc(d.id)}</h3>'
                f'<table class="brief-meta">{meta}</table>'
                f'<div class="note"><small>Highlighted: where a judgement is stated.</small></div>'
                f'<div class="article-full">{article_html(d.text, d.comment_start, marks)}</div></div>')

    def on_table_select(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    # -- Councils --
    def council_briefing(council: str | None) -> str:
        if not council:
            return "<small>Pick a council to see what the articles say about it.</small>"
        about = [d for d in docs() if council in d.meta.councils]
        if not about:
            return f"<p>No article in the index is about {esc(council)}.</p>"
        about.sort(key=lambda d: (d.date or "9999", d.id))
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
                judg_rows.append(f"<tr><td class='when'>{esc(when)}</td><td><b>{esc(j.grade)}</b>{esc(' (' + j.area + ')') if j.area else ''}</td>"
                                 f"<td>{quote}</td><td>{esc(d.title)} <small>[<code>{esc(d.id)}</code>"
                                 f"{', chars ' + str(j.start) + '–' + str(j.end) if j.start is not None else ''}]</small></td></tr>")
        timeline = "".join(
            f"<tr><td class='when'>{esc(d.date or 'undated')}</td><td>{esc(d.meta.inspection_kind or '—')}</td>"
            f"<td>{esc(', '.join(sorted({j.grade for j in d.meta.judgements if j.council in (council, None)})) or '—')}</td>"
            f"<td>{esc(d.title)} <small>[<code>{esc(d.id)}</code>]{' · ' + esc(d.source) if d.source else ''}</small></td></tr>"
            for d in about)
        judg = ("<table class='brief-table'><tr><th>When</th><th>Judgement</th><th>Evidence</th><th>Citation</th></tr>"
                + "".join(judg_rows) + "</table>") if judg_rows else "<p>No judgement about this council is stated in the articles.</p>"
        return (f'<div class="council-briefing" data-council="{esc(council)}"><h3>{esc(council)}</h3>'
                f"<p>{len(about)} article{'s' if len(about) != 1 else ''} in the index. This briefing lists what the index's "
                "metadata records (structured summaries with recurring issues arrive with the summaries feature).</p>"
                f"<h4>Judgements</h4>{judg}"
                "<h4>Timeline of articles</h4><table class='brief-table'><tr><th>Article date</th><th>Inspection kind</th>"
                f"<th>Judgements</th><th>Article</th></tr>{timeline}</table></div>")

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

    def run_eval(path: str, limit: float, progress=gr.Progress()):
        from eval.qa import load_qa, run_qa_eval

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
        result = run_qa_eval(Counting(), Path(path), limit=n or None, progress=False)
        s = result["summary"]
        # every headline number the evaluation reports (the set grows as eval.qa gains metrics)
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
        with eval_lock:
            eval_runs.append({"run": len(eval_runs) + 1, "when": result.get("date"), "file": allowed[path],
                              **{k: s.get(k) for k in ("questions", "key_facts_correct", "refusal_accuracy",
                                                       "citation_validity", "faithfulness", "answer_total_s_p50")},
                              "model": result.get("model")})
            runs = pd.DataFrame(eval_runs).astype(str)
        head = (f"**{esc(allowed[path])}**: {s.get('questions')} questions ({s.get('answerable')} answerable, "
                f"{s.get('unanswerable')} unanswerable) with `{esc(result.get('model'))}`.")
        return head, summary, plot, by_type, items, runs

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
                                     column_widths=["14%", "30%", "9%", "13%", "10%", "12%", "7%", "5%"],
                                     label="Articles (click a column header to sort, a row to open)")
                art_view = gr.HTML(article_view(None), elem_id="article-view")
            with gr.Tab("Councils", id="councils", elem_id="tab-councils"):
                council_pick = gr.Dropdown(councils(), value=None, label="Council", elem_id="council-pick")
                briefing = gr.HTML(council_briefing(None), elem_id="council-briefing")
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
                eval_types = gr.Dataframe(interactive=False, label="By question type", elem_id="eval-types")
                eval_items = gr.Dataframe(interactive=False, wrap=True, label="Per question", elem_id="eval-items",
                                          column_widths=["6%", "8%", "11%", "7%", "6%", "7%", "25%", "30%"])
                eval_runs_df = gr.Dataframe(interactive=False, label="Runs in this session (compare)",
                                            elem_id="eval-runs")

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
        art_pick.change(article_view, [art_pick], [art_view], api_visibility="private")
        council_pick.change(council_briefing, [council_pick], [briefing], api_visibility="private")

        ingest_outputs = [ingest_out, table, art_pick, council, council_pick, stats]
        index_group = {"concurrency_limit": 1, "concurrency_id": "index"}
        upload_btn.click(add_files, [upload], ingest_outputs + [upload], api_visibility="private", **index_group)
        paste_btn.click(add_pasted, [p_title, p_date, p_source, p_text], ingest_outputs, api_visibility="private",
                        **index_group)
        eval_btn.click(run_eval, [qa_pick, qa_limit], [eval_head, eval_summary, eval_plot, eval_types, eval_items,
                                                      eval_runs_df], api_visibility="private", **model)

        def on_load():  # the index may have changed (CLI ingest) since the app was built
            cs = councils()
            return (stats_line(), article_rows(), gr.update(choices=article_choices()),
                    gr.update(choices=[ALL_COUNCILS] + cs), gr.update(choices=cs))

        app.load(on_load, None, [stats, table, art_pick, council, council_pick], api_visibility="private")

    app.queue(default_concurrency_limit=1, max_size=QUEUE_MAX)
    return app


THEME_FONTS = {"font": ["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
               "font_mono": ["ui-monospace", "Menlo", "Consolas", "monospace"]}


def serve(service: BriefService, host: str = "127.0.0.1", port: int = 7860, auth=None, *, block: bool = True,
          preload_model: bool = True, quiet: bool = False) -> gr.Blocks:
    """Serve the interface; refuses a non-loopback address unless a login is set (BRIEF_USERNAME/BRIEF_PASSWORD).

    With ``block=False`` the server runs in a background thread and the app is returned (``app.close()`` stops it).
    """
    auth = auth or auth_from_env()
    check_bind(host, auth)
    app = build_app(service, service.settings)
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
