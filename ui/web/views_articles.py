"""The Articles tab's HTML and table rows: an article with its structured summary (each statement linked to its
highlighted evidence) or, before one exists, what the index metadata records."""
from __future__ import annotations

from summarizer.checking.calibration import shipped_calibration
from ui.web.views import EvidenceIndex, article_html, esc

ARTICLE_HEADERS = ["ID", "Title", "Date", "Councils", "Inspection kind", "Judgement", "Weaknesses", "Strengths",
                   "Actions", "Source", "Summary"]
# the Articles table's findings counts: column -> the summary fields it counts ("what needs to improve" is an action)
COUNT_FIELDS = {"Weaknesses": ("weaknesses",), "Strengths": ("strengths",), "Actions": ("actions", "improvements")}
SUMMARY_FIELDS = (("weaknesses", "Weaknesses"), ("strengths", "Strengths"), ("actions", "Actions"),
                  ("improvements", "What needs to improve"), ("figures", "Figures"))
NOT_GENERATED = "not generated"


def doc_meta_bits(doc) -> dict:
    """Councils, inspection kind, judgements and type of a document from its index metadata (no model)."""
    m = doc.meta
    judgements = []
    for j in m.judgements:
        bit = j.grade
        extra = ", ".join(x for x in (j.council, j.area) if x)
        judgements.append(f"{bit} ({extra})" if extra else bit)
    return {"councils": ", ".join(m.councils), "kind": m.inspection_kind or "",
            "judgements": "; ".join(dict.fromkeys(judgements)), "type": m.doc_type or ""}


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


def overview_badge(score: float | None) -> str:
    """The faithfulness checker's score of the overview, on the Ask tab's 0-1 scale (nothing when it was not run)."""
    if score is None:
        return ""
    t = shipped_calibration().threshold
    tip = (f"faithfulness checker score {score:.2f}: how likely its evidence supports the overview "
           f"(supported at {t:.2f} or above; the same checker as the Ask tab and brief eval)")
    return f' <span class="chk verdict supported" title="{esc(tip)}">✓ checked · {score:.2f}</span>'


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
                    f'{ev.link("[evidence]", rec.overview_evidence)}{overview_badge(rec.overview_score)}</p></div>')
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


def findings_counts(rec) -> list[str]:
    """How many weaknesses, strengths and actions the stored summary keeps (all councils); blank cells without one."""
    if rec is None:
        return [""] * len(COUNT_FIELDS)
    return [str(sum(len(getattr(c, f)) for c in rec.councils for f in fields)) for fields in COUNT_FIELDS.values()]


def article_row(doc, rec=None, failure: str | None = None) -> list[str]:
    """One row of the Articles table: from the structured summary when there is one, else from index metadata."""
    if rec is None or not rec.councils:
        bits = doc_meta_bits(doc)
        status = "failed" if failure and rec is None else (NOT_GENERATED if rec is None else "no council found")
        return [doc.id, doc.title, doc.date or "", bits["councils"], bits["kind"], bits["judgements"],
                *findings_counts(rec), doc.source or "", status]
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
            "; ".join(f"{c.council}: {judged(c)}" if multi else judged(c) for c in entries), *findings_counts(rec),
            doc.source or "", "summarized"]
