"""HTML building blocks shared by the tabs: escaping, marked article text, evidence links, search hits, history.

Pure functions from records to HTML; everything that comes from an article or a user is passed through
``html.escape``, so an article containing ``<script>`` or ``<img onerror=...>`` renders as text.
"""
from __future__ import annotations

import html

from retrieval.sentences import split_sentences
from summarizer.support import content_terms


def esc(value) -> str:
    """value as escaped HTML text (None as empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def hit_dict(h) -> dict:
    """One search hit as a plain dict (the search API's and the MCP search tool's result rows)."""
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


def history_html(history: list[dict]) -> str:
    """The questions asked in this session, newest first."""
    if not history:
        return '<div class="history"><small>Your questions and answers in this session will be listed here.</small></div>'
    items = []
    for h in reversed(history):
        items.append(f'<li><div class="hq">{esc(h["question"])}</div><div>{esc(h["text"])}</div>'
                     f'<small>{esc(h["status"].replace("_", " "))} · {esc(h["when"])} · {h["total_s"]:.1f} s</small></li>')
    return f'<div class="history"><ol reversed>{"".join(items)}</ol></div>'


def search_results_html(res) -> str:
    """Search hits (a ``SearchResult``) with their passages, or why there are none."""
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
