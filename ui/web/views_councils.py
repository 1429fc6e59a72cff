"""The Councils tab's HTML: a council briefing from the structured summaries, or from index metadata alone."""
from __future__ import annotations

from types import SimpleNamespace

from retrieval.sentences import split_sentences
from ui.web.views import EvidenceIndex, article_html, esc, marked_html


def _quote_html(text: str, start: int, end: int, limit: int = 360) -> str:
    end = min(end, len(text))
    cut = min(end, start + limit)
    return "“" + esc(text[start:cut].strip()) + ("…" if cut < end else "") + "”"


class _Briefing:
    """Renders one council briefing; numbers the evidence of each cited article for its panel."""

    def __init__(self, b, docs: dict, summaries: dict) -> None:
        self.b, self.docs, self.summaries = b, docs, summaries
        self.panels: dict[str, EvidenceIndex] = {}

    def ev_for(self, doc_id: str) -> EvidenceIndex | None:
        d = self.docs.get(doc_id)
        if d is None:
            return None
        if doc_id not in self.panels:
            self.panels[doc_id] = EvidenceIndex(d.text, panel=f"cb-{len(self.panels)}")
        return self.panels[doc_id]

    def cite(self, doc_id: str, start: int, end: int, text: str = "", label: str | None = None) -> str:
        ev = self.ev_for(doc_id)
        where = f"{doc_id}, chars {start}–{end}"
        if ev is None:
            return f'<span class="cite-q">“{esc(text)}” <small>[<code>{esc(where)}</code>]</small></span>'
        span = SimpleNamespace(start=start, end=end)
        body = label if label is not None else _quote_html(ev.text, start, end)
        return (f'<span class="cite-q">{ev.link(body, [span])} <small>[<code>{esc(doc_id)}</code>, chars '
                f"{start}–{end}]</small></span>")

    def items_html(self, doc_id: str, items, cls: str) -> str:
        ev = self.ev_for(doc_id)
        if ev is None:
            return "".join(f'<li class="{cls}">{esc(it.text)}</li>' for it in items)
        return "".join(f'<li class="{cls}">{ev.link(esc(it.text), it.evidence)}</li>' for it in items)

    def judgement_cell(self, te, entry) -> str:
        ev = self.ev_for(te.doc_id)
        if entry is not None and entry.judgement and ev is not None:
            judg = ev.link(f"<b>{esc(entry.judgement)}</b>", entry.judgement_evidence)
        elif te.judgement and te.citations and ev is not None:
            c0 = te.citations[0]
            judg = self.cite(te.doc_id, c0.start, c0.end, c0.text, label=f"<b>{esc(te.judgement)}</b>")
        else:
            judg = f"<b>{esc(te.judgement)}</b>" if te.judgement else "not stated"
        if te.previous_judgement:
            prev = (ev.link(esc(te.previous_judgement), entry.previous_evidence) if entry is not None and ev is not None
                    else esc(te.previous_judgement))
            judg += f"<br><small>previously {prev}</small>"
        if te.areas:
            judg += "<br><small>" + esc("; ".join(f"{a}: {g}" for a, g in te.areas.items())) + "</small>"
        return judg

    def findings_cell(self, te, entry) -> str:
        if entry is not None:
            found = self.items_html(te.doc_id, (entry.weaknesses + entry.improvements)[:6], "weak")
            found += self.items_html(te.doc_id, entry.strengths[:4], "strong")
            return f"<ul class='sum-list'>{found}</ul>" if found else "<small>none recorded</small>"
        if te.summarized:
            return "<ul class='sum-list'>" + "".join(f"<li class='weak'>{esc(w)}</li>" for w in te.weaknesses) + \
                "".join(f"<li class='strong'>{esc(s)}</li>" for s in te.strengths) + "</ul>"
        return "<small>not summarized yet: index metadata only</small>"

    def row(self, te) -> str:
        rec = self.summaries.get(te.doc_id) if te.summarized else None
        entry = rec.entry(self.b.council) if rec is not None else None
        d = self.docs.get(te.doc_id)
        src = f"{esc(te.title)} <small>[<code>{esc(te.doc_id)}</code>]" + \
            (f" · {esc(d.source)}" if d is not None and d.source else "") + "</small>"
        if te.judgement and te.citations:  # the sentence that states the judgement, quoted
            c0 = te.citations[0]
            src += f"<div class='cited'><small>Judgement stated in:</small> {self.cite(te.doc_id, c0.start, c0.end, c0.text)}</div>"
        return (f"<tr data-doc='{esc(te.doc_id)}' class='{'summarized' if te.summarized else 'metadata-only'}'>"
                f"<td class='when'>{esc(te.date or 'undated')}</td><td>{esc(te.kind or '—')}</td>"
                f"<td>{self.judgement_cell(te, entry)}</td><td>{self.findings_cell(te, entry)}</td><td>{src}</td></tr>")

    def head(self, rows: list[str]) -> list[str]:
        b, n = self.b, len(self.b.timeline)
        return [f'<div class="council-briefing" data-council="{esc(b.council)}" data-source="summaries">'
                f"<h3>{esc(b.council)}</h3>",
                f"<p>{n} article{'s' if n != 1 else ''} or report{'s' if n != 1 else ''} about {esc(b.council)}, "
                "from their structured summaries"
                + (f"; {len(b.missing_summaries)} not summarized yet (index metadata only)" if b.missing_summaries else "")
                + ". <small class='weak'>▪ weakness</small> <small class='strong'>▪ strength</small>; click any "
                  "statement or quote to open its article with the evidence highlighted.</p>",
                "<h4>Timeline and judgements</h4><table class='brief-table timeline'><tr><th>When</th><th>Inspection</th>"
                f"<th>Judgement</th><th>Findings</th><th>Source and citation</th></tr>{''.join(rows)}</table>"]

    def rest(self) -> list[str]:
        b, out = self.b, []
        if b.recurring:
            out.append("<h4>Recurring issues</h4><table class='brief-table recurring'><tr><th>Theme</th><th>Raised in</th>"
                       "<th>Citations</th></tr>" + "".join(
                           f"<tr><td><b>{esc(r['theme'])}</b></td><td>{'<br>'.join(esc(v) for v in r['visits'])}</td><td>"
                           + "<br>".join(self.cite(c["doc_id"], c["start"], c["end"], c.get("text", ""))
                                         for c in r["citations"]) + "</td></tr>" for r in b.recurring) + "</table>")
        else:
            out.append("<h4>Recurring issues</h4><p><small>No theme is raised in two or more of the summarized visits."
                       "</small></p>")
        if b.changes:
            out.append("<h4>What changed between visits</h4><ul>" + "".join(f"<li>{esc(c)}</li>" for c in b.changes)
                       + "</ul>")
        if b.passages:
            out.append("<h4>Other passages found by search</h4><ul>" + "".join(
                f"<li>{self.cite(p['doc_id'], p['start'], p['end'], p.get('text', ''))} "
                f"<small>{esc(p.get('title', ''))}</small></li>" for p in b.passages[:5]) + "</ul>")
        if b.missing_summaries:
            out.append(f"<p><small>Not summarized yet: {esc(', '.join(b.missing_summaries))}. Open them in "
                       "<b>Articles</b> and press “Generate summary”, or run <code>brief summarize --all</code>."
                       "</small></p>")
        return out

    def panels_html(self) -> str:
        pan = []
        for doc_id, ev in self.panels.items():
            if not ev.ids:
                continue
            d = self.docs[doc_id]
            pan.append(f'<div class="src-panel ev-panel" id="{esc(ev.panel)}" data-doc="{esc(doc_id)}"><div class="src-head">'
                       f'<b>{esc(d.title) or esc(doc_id)}</b> · {esc(d.date or "undated")} · <code>{esc(doc_id)}</code> '
                       f'<a class="close-panel" href="#">close</a></div>'
                       f'<div class="article-box ev-box">{article_html(d.text, d.comment_start, ev.marks())}</div></div>')
        return '<div class="panels">' + "".join(pan) + "</div></div>"


def briefing_html(b, docs: dict, summaries: dict) -> str:
    """A council briefing (``summarizer.briefing.briefing.Briefing``): timeline, judgements, recurring issues, changes and
    citations; each citation opens its article below with the cited words highlighted."""
    r = _Briefing(b, docs, summaries)
    rows = [r.row(te) for te in b.timeline]
    out = r.head(rows) + r.rest()
    return "".join(out) + r.panels_html()


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
