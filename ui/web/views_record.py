"""A council's graded record as HTML (judgements by area at each inspection, what changed between them) and the
digest's table rows and filters. Data comes from ``BriefService.council_briefing`` / ``digest``; nothing is computed
here but the layout."""
from __future__ import annotations

import pandas as pd

from ui.web.views import esc

DIGEST_HEADERS = ["Council", "Latest judgement", "Date", "Year", "Kind", "Inspections", "Source"]
ANY = "Any"


def _grade_cell(grade: str | None) -> str:
    return f"<span class='grade g-{esc((grade or 'none').replace(' ', '-'))}'>{esc(grade or '—')}</span>"


def record_html(b) -> str:
    """The graded inspections (one row each, one column per judgement area) and the per-area changes."""
    if b is None or not b.inspections:
        return ("<div class='council-record' data-inspections='0'><h4>Judgements by area</h4><p><small>No graded "
                "inspection of this council is in the index.</small></p></div>")
    areas = b.areas
    head = "".join(f"<th>{esc(a)}</th>" for a in areas)
    rows = "".join(
        f"<tr data-date='{esc(i.date)}'><td class='when'>{esc(i.date)}</td><td>{esc(i.kind or '—')}</td>"
        + "".join(f"<td>{_grade_cell(i.grades.get(a))}</td>" for a in areas)
        + f"<td><small>{esc(', '.join(i.doc_ids))}</small></td></tr>" for i in b.inspections)
    out = [f"<div class='council-record' data-inspections='{len(b.inspections)}'><h4>Judgements by area</h4>",
           "<table class='brief-table record'><tr><th>Inspection</th><th>Kind</th>" + head
           + f"<th>Documents</th></tr>{rows}</table>"]
    if b.grade_changes:
        out.append("<h4>What changed between inspections</h4><table class='brief-table grade-changes'><tr><th>From"
                   "</th><th>To</th><th>Area</th><th>Before</th><th>After</th><th>Change</th></tr>" + "".join(
                       f"<tr class='{esc(a.direction.value.replace(' ', '-'))}'><td class='when'>{esc(c.from_date)}"
                       f"</td><td class='when'>{esc(c.to_date)}</td><td>{esc(a.area)}</td>"
                       f"<td>{_grade_cell(a.before)}</td><td>{_grade_cell(a.after)}</td>"
                       f"<td>{esc(a.direction.value)}</td></tr>" for c in b.grade_changes for a in c.areas)
                   + "</table>")
    return "".join(out) + "</div>"


def digest_rows(d: dict | None, judgement: str | None = None, year: str | None = None) -> pd.DataFrame:
    """The digest's councils x latest judgement x date, keeping the rows of one judgement and/or year."""
    rows = []
    for r in (d or {}).get("councils", []):
        if judgement and judgement != ANY and (r.get("judgement") or "not stated") != judgement:
            continue
        if year and year != ANY and str(r.get("year") or "") != year:
            continue
        rows.append([r["council"], r.get("judgement") or "not stated", r.get("date") or "", str(r.get("year") or ""),
                     r.get("kind") or "", str(r.get("inspections", "")),
                     r["source"] + ("" if r.get("summarized", True) else " (metadata only)")])
    return pd.DataFrame(rows, columns=DIGEST_HEADERS)


def digest_filters(d: dict | None) -> tuple[list[str], list[str]]:
    """The choices of the judgement and year filters: the values the digest's rows hold."""
    rows = (d or {}).get("councils", [])
    judgements = sorted({r.get("judgement") or "not stated" for r in rows})
    years = sorted({str(r["year"]) for r in rows if r.get("year")}, reverse=True)
    return [ANY, *judgements], [ANY, *years]
