"""Briefings, digests and summaries as Markdown and standalone HTML for board papers, every point citing its source.

Each export is built in two steps: a record becomes a ``Report`` (sections of lines, each line with its citations),
and the report is rendered. Citations are numbered once per report; the Sources list quotes the cited words from the
document itself (with some context), so every citation in the file resolves to the source text.
"""
from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field

from summarizer.briefing import charts
from summarizer.briefing.briefing import Briefing
from summarizer.briefing.history import area_series
from summarizer.summaries.schema import ArticleSummary, Span

CONTEXT_CHARS = 160  # shown either side of a cited span in the Sources list


@dataclass(frozen=True)
class Cite:
    """A span of one document's original text."""

    doc_id: str
    start: int
    end: int


@dataclass
class Line:
    """One point of a report: plain text, its citations, and an indent level (0 = a bullet)."""

    text: str
    cites: list[Cite] = field(default_factory=list)
    level: int = 0


@dataclass
class Table:
    """A plain table of a section (Markdown pipe table, HTML table); cells are plain text."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    chart_png: bytes | None = None  # shown in HTML exports as an embedded data URI
    chart_alt: str = ""


@dataclass
class Report:
    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class SourceDoc:
    """What a renderer needs of a cited document."""

    title: str
    text: str


Lookup = Callable[[str], SourceDoc | None]


# --- records -> reports ------------------------------------------------------------------------------------------
def _cites(items: list[dict]) -> list[Cite]:
    return [Cite(c["doc_id"], c["start"], c["end"]) for c in items if c and c.get("start") is not None]


def briefing_report(b: Briefing) -> Report:
    """A council's timeline, recurring weaknesses and changes between visits."""
    rep = Report(f"{b.council}: children's services briefing")
    if not b.covered:
        rep.sections.append(Section("Coverage", [Line(f"The corpus has nothing about {b.council}.")]))
        return rep
    timeline = Section("Timeline")
    for te in b.timeline:
        prev = f" (previously {te.previous_judgement})" if te.previous_judgement else ""
        cites = [Cite(c.doc_id, c.start, c.end) for c in te.citations]  # the judgement's and the findings' evidence
        timeline.lines.append(Line(f"{te.date or 'undated'}, {te.kind or 'inspection'}: "
                                   f"{te.judgement or 'no judgement stated'}{prev}", cites))
        for area, grade in te.areas.items():
            c = te.area_citations.get(area)
            timeline.lines.append(Line(f"{area}: {grade}", [Cite(c.doc_id, c.start, c.end)] if c else [], level=1))
        for w in te.weaknesses:
            timeline.lines.append(Line(f"Weakness: {w}", level=1))
        for s in te.strengths:
            timeline.lines.append(Line(f"Strength: {s}", level=1))
    rep.sections.append(timeline)
    rep.sections += _record_sections(b)
    if b.recurring:
        rep.sections.append(Section("Recurring weaknesses", [
            Line(f"{r['theme']}: raised in {len(r['visits'])} inspection(s) ({', '.join(r['visits'])})",
                 _cites(r["citations"][:3])) for r in b.recurring]))
    if b.changes:
        rep.sections.append(Section("What changed between visits", [Line(c) for c in b.changes]))
    return rep


def _record_sections(b: Briefing) -> list[Section]:
    """The graded inspections as a table and a chart, and what changed area by area between them."""
    if not b.inspections:
        return []
    areas = b.areas
    fig = charts.area_chart(area_series(b.inspections), f"{b.council}: judgement areas over time")
    grid = Section("Judgements by area", table=Table(
        ["Date", "Kind", *areas], [[i.date, i.kind or "inspection", *(i.grades.get(a, "—") for a in areas)]
                                   for i in b.inspections]),
        chart_png=charts.png_bytes(fig) if fig is not None else None,
        chart_alt=f"{b.council}: each judgement area's grade at each inspection")
    out = [grid]
    if b.grade_changes:
        rows = [[c.from_date, c.to_date, a.area, a.before or "not graded", a.after or "not graded", a.direction.value]
                for c in b.grade_changes for a in c.areas]
        out.append(Section("What changed between inspections",
                           table=Table(["From", "To", "Area", "Before", "After", "Change"], rows)))
    return out


def _year_section(by_year: dict) -> Section:
    """The overall judgements of each year's inspections, as a table and a stacked bar chart."""
    grades = [g for g in charts.GRADE_ORDER if any(c.get(g) for c in by_year.values())]
    fig = charts.distribution_chart(by_year)
    return Section("Overall effectiveness judgements by year",
                   table=Table(["Year", *grades], [[str(y), *(str(c.get(g, 0)) for g in grades)]
                                                   for y, c in by_year.items()]),
                   chart_png=charts.png_bytes(fig) if fig is not None else None,
                   chart_alt="How many inspections gave each overall grade, by year")


def digest_report(d: dict) -> Report:
    """Councils by latest judgement, and the themes that recur across councils."""
    rep = Report("Digest: councils and their latest judgements",
                 f"{d['documents']} documents, {d['summarized']} summarized")
    rep.sections.append(Section("Latest judgement by council", [
        Line(f"{r['council']}: {r['judgement'] or 'no judgement stated'}, {r['date'] or 'undated'}"
             f" ({r['kind'] or 'inspection'})", _cites([r.get("citation")])) for r in d["councils"]]))
    if d.get("by_year"):
        rep.sections.append(_year_section(d["by_year"]))
    if d["themes"]:
        rep.sections.append(Section("Recurring themes", [
            Line(f"{t['theme']}: {len(t['councils'])} councils ({', '.join(t['councils'])})", _cites(t["citations"][:4]))
            for t in d["themes"]]))
    return rep


def _span_cites(doc_id: str, spans: list[Span]) -> list[Cite]:
    return [Cite(doc_id, s.start, s.end) for s in spans[:2]]


def summary_report(rec: ArticleSummary) -> Report:
    """One document's structured summary, every item citing its evidence."""
    rep = Report(rec.title or rec.doc_id, f"{rec.doc_type}, {rec.date or 'undated'} ({rec.doc_id})")
    if rec.overview:
        rep.sections.append(Section("Overview", [Line(rec.overview, _span_cites(rec.doc_id, rec.overview_evidence))]))
    for c in rec.councils:
        sec = Section(c.council)
        if c.judgement:
            sec.lines.append(Line(f"Judgement: {c.judgement}", _span_cites(rec.doc_id, c.judgement_evidence)))
        if c.previous_judgement:
            sec.lines.append(Line(f"Previous judgement: {c.previous_judgement}",
                                  _span_cites(rec.doc_id, c.previous_evidence)))
        sec.lines += [Line(f"{a.area}: {a.grade}", _span_cites(rec.doc_id, a.evidence)) for a in c.areas]
        for name, label in (("weaknesses", "Weakness"), ("strengths", "Strength"), ("actions", "Action"),
                            ("improvements", "To improve"), ("figures", "Figure")):
            sec.lines += [Line(f"{label}: {it.text}", _span_cites(rec.doc_id, it.evidence)) for it in getattr(c, name)]
        rep.sections.append(sec)
    return rep


# --- reports -> files --------------------------------------------------------------------------------------------
def _numbered(rep: Report) -> dict[Cite, int]:
    """Each distinct citation's number, in order of first use."""
    nums: dict[Cite, int] = {}
    for sec in rep.sections:
        for line in sec.lines:
            for c in line.cites:
                nums.setdefault(c, len(nums) + 1)
    return nums


def to_markdown(rep: Report, lookup: Lookup) -> str:
    """Markdown with footnote citations; the footnotes quote the cited words."""
    nums = _numbered(rep)
    out = [f"# {rep.title}", ""] + ([f"_{rep.subtitle}_", ""] if rep.subtitle else [])
    for sec in rep.sections:
        out += [f"## {sec.title}", ""]
        out += ["  " * ln.level + f"- {ln.text}" + "".join(f"[^{nums[c]}]" for c in ln.cites) for ln in sec.lines]
        if sec.table is not None:
            out += _md_table(sec.table)
        out.append("")
    for c, n in nums.items():
        doc = lookup(c.doc_id)
        quote = " ".join(doc.text[c.start:c.end].split()) if doc else "(document no longer in the index)"
        out.append(f"[^{n}]: {doc.title if doc else c.doc_id} ({c.doc_id}, characters {c.start}–{c.end}): “{quote}”")
    return "\n".join(out).rstrip() + "\n"


def _md_table(t: Table) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
    return [row(t.headers), "|" + "---|" * len(t.headers)] + [row(r) for r in t.rows]


def _html_extras(sec: Section) -> list[str]:
    """A section's table and chart (an embedded PNG) as HTML."""
    e = html.escape
    out = []
    if sec.chart_png:
        uri = "data:image/png;base64," + base64.b64encode(sec.chart_png).decode("ascii")
        out.append(f"<p><img class='chart' src='{uri}' alt='{e(sec.chart_alt)}'></p>")
    if sec.table is not None:
        out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in sec.table.headers) + "</tr>" + "".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in sec.table.rows) + "</table>")
    return out


_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;color:#222}"
          "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ddd;margin-top:1.6em}"
          "sup a{text-decoration:none}mark{background:#fff3b0}.src{font-size:.9em;color:#444;margin:.5em 0}"
          "ol.sources li{margin:.6em 0}.sub{color:#666}table{border-collapse:collapse;font-size:.9em}"
          "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}img.chart{max-width:100%}")


def _context_html(text: str, c: Cite) -> str:
    lo, hi = max(0, c.start - CONTEXT_CHARS), min(len(text), c.end + CONTEXT_CHARS)
    before, cited, after = text[lo:c.start], text[c.start:c.end], text[c.end:hi]
    return (("…" if lo else "") + html.escape(" ".join(before.split())) + " <mark>" + html.escape(" ".join(cited.split()))
            + "</mark> " + html.escape(" ".join(after.split())) + ("…" if hi < len(text) else ""))


def to_html(rep: Report, lookup: Lookup) -> str:
    """A standalone, escaped HTML page: numbered citations link to a Sources list quoting the source in context."""
    nums = _numbered(rep)
    e = html.escape
    body = [f"<h1>{e(rep.title)}</h1>"] + ([f"<p class='sub'>{e(rep.subtitle)}</p>"] if rep.subtitle else [])
    for sec in rep.sections:
        body.append(f"<h2>{e(sec.title)}</h2><ul>")
        for ln in sec.lines:
            sup = "".join(f"<sup><a href='#src-{nums[c]}' id='ref-{nums[c]}'>[{nums[c]}]</a></sup>" for c in ln.cites)
            pad = f" style='margin-left:{1.5 * ln.level}em'" if ln.level else ""
            body.append(f"<li{pad}>{e(ln.text)}{sup}</li>")
        body.append("</ul>")
        body += _html_extras(sec)
    if nums:
        body.append("<h2>Sources</h2><ol class='sources'>")
        for c, n in nums.items():
            doc = lookup(c.doc_id)
            ctx = _context_html(doc.text, c) if doc else "(document no longer in the index)"
            title = e(doc.title if doc else c.doc_id)
            body.append(f"<li id='src-{n}'><b>{title}</b> <span class='sub'>({e(c.doc_id)}, characters "
                        f"{c.start}–{c.end})</span><div class='src'>{ctx}</div></li>")
        body.append("</ol>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{e(rep.title)}</title><style>{_STYLE}</style></head><body>" + "\n".join(body) + "</body></html>\n")


def render(rep: Report, lookup: Lookup, fmt: str) -> str:
    """The report as 'md' or 'html'."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown export format {fmt!r}: use md or html")
    return to_markdown(rep, lookup) if fmt == "md" else to_html(rep, lookup)
