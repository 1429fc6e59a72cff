"""Briefings across articles, built from stored structured summaries plus retrieval (never whole articles in a prompt).

- ``council_briefing``: a dated timeline of one council's inspections and judgements, recurring weaknesses, and what
  changed between visits, each point with citations (article id + character span + the cited words). Each entry's
  grade per judgement area is read by code (``grades``); the graded inspections and what changed area by area from one
  to the next come from ``history``.
- ``digest``: councils x latest judgement x date x source, the judgements by year, and the themes that recur.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from retrieval.councils import canonical_council
from retrieval.store import StoredDocument

from summarizer.briefing.grades import OVERALL, AreaMark, about, code_grades
from summarizer.briefing.history import GradedEntry, Inspection, InspectionChange, changes, inspections, \
    area_order, parse_date, year_distribution
from summarizer.briefing.themes import Finding, first_per_group, themes
from summarizer.summaries.schema import ArticleSummary, CouncilEntry, Span

@dataclass
class Citation:
    doc_id: str
    title: str
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, rec: ArticleSummary, sp: Span) -> "Citation":
        return cls(rec.doc_id, rec.title, sp.start, sp.end, sp.text.strip()[:300])

    @classmethod
    def of_mark(cls, title: str, m: AreaMark) -> "Citation | None":
        return cls(m.doc_id, title, m.start, m.end, m.text) if m.start is not None and m.end is not None else None


@dataclass
class TimelineEntry:
    date: str | None
    kind: str | None
    judgement: str | None
    previous_judgement: str | None
    doc_id: str
    title: str
    doc_type: str
    areas: dict[str, str] = field(default_factory=dict)  # judgement area -> grade, read by code
    area_citations: dict[str, Citation] = field(default_factory=dict)  # where the document states each grade
    weaknesses: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    summarized: bool = True


@dataclass
class Briefing:
    council: str
    covered: bool
    timeline: list[TimelineEntry] = field(default_factory=list)
    recurring: list[dict] = field(default_factory=list)  # {theme, visits, citations}
    changes: list[str] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)  # the graded inspections, in date order
    areas: list[str] = field(default_factory=list)  # every area the inspections grade, overall effectiveness first
    grade_changes: list[InspectionChange] = field(default_factory=list)  # per area, from one inspection to the next
    passages: list[dict] = field(default_factory=list)  # retrieval hits not covered by a stored summary
    missing_summaries: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _findings(entry: CouncilEntry) -> list:
    """The entry's weaknesses, then its improvement and action items: what a recurring theme is found in."""
    return entry.weaknesses + entry.improvements + entry.actions


def _sort_date(e: TimelineEntry) -> str:
    return e.date or "9999"


def _doc_date(doc: StoredDocument | None, entry: CouncilEntry | None) -> str | None:
    """When the inspection started (a report's dates), else the entry's or the document's date."""
    if entry and entry.inspection_dates:
        return entry.inspection_dates[0]
    if entry and entry.date:
        return entry.date
    if doc is not None:
        if doc.meta.inspection_dates:
            return doc.meta.inspection_dates[0]
        if doc.date:
            return doc.date
        years = [y for y in doc.meta.years if y <= 2030]
        if years:
            return f"≥{max(years)}"  # undated: no earlier than the latest year it mentions
    return None


Visit = tuple[TimelineEntry, CouncilEntry, ArticleSummary]  # a summarized visit, its council entry, its record


def _entry_grades(rec: ArticleSummary, entry: CouncilEntry, doc: StoredDocument | None) -> dict[str, AreaMark]:
    """The code-read grades of a summarized entry: the document's (when indexed), then the summary's table grades."""
    grades = code_grades(doc, entry.council) if doc is not None else {}
    for a in entry.areas:
        if a.source == "table" and a.area not in grades:
            sp = a.evidence[0]
            grades[a.area] = AreaMark(a.area, a.grade, rec.doc_id, sp.start, sp.end, sp.text.strip()[:300])
    return grades


def _set_grades(te: TimelineEntry, grades: dict[str, AreaMark]) -> TimelineEntry:
    """Put code-read grades on a timeline entry: per area, and the overall judgement when none is set."""
    grades = {a: grades[a] for a in area_order(grades)}
    te.areas = {a: m.grade for a, m in grades.items()}
    te.area_citations = {a: c for a, m in grades.items() if (c := Citation.of_mark(te.title, m)) is not None}
    if te.judgement is None and OVERALL in grades:
        te.judgement = grades[OVERALL].grade
    return te


def graded(te: TimelineEntry, grades: dict[str, AreaMark]) -> GradedEntry:
    return GradedEntry(te.date, te.kind, te.doc_id, te.doc_type, grades)


def _summary_visit(rec: ArticleSummary, entry: CouncilEntry, doc: StoredDocument | None) -> Visit:
    """The timeline entry of a council's stored summary, with the entry and record it comes from."""
    te = TimelineEntry(
        date=_doc_date(doc, entry), kind=entry.inspection_kind, judgement=entry.judgement,
        previous_judgement=entry.previous_judgement, doc_id=rec.doc_id, title=rec.title, doc_type=rec.doc_type,
        weaknesses=[w.text for w in entry.weaknesses + entry.improvements][:6],
        strengths=[s.text for s in entry.strengths][:4],
    )
    if entry.judgement_evidence:
        te.citations.append(Citation.of(rec, entry.judgement_evidence[0]))
    for it in (entry.weaknesses + entry.improvements)[:3]:
        te.citations.append(Citation.of(rec, it.evidence[0]))
    return te, entry, rec


def _metadata_entry(d: StoredDocument, council: str, grades: dict[str, AreaMark]) -> TimelineEntry:
    """The timeline entry of a document with no stored summary: code-read grades and metadata only."""
    te = _set_grades(TimelineEntry(date=_doc_date(d, None), kind=d.meta.inspection_kind, judgement=None,
                                   previous_judgement=None, doc_id=d.id, title=d.title, doc_type=d.meta.doc_type,
                                   summarized=False), grades)
    first = te.area_citations.get(OVERALL) or next(iter(te.area_citations.values()), None)
    if first is not None:
        te.citations.append(first)
    return te


@dataclass
class CouncilRecord:
    """A council's timeline (one entry per document about it) and what each entry contributes to its record."""

    timeline: list[TimelineEntry] = field(default_factory=list)
    graded: list[GradedEntry] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    missing_summaries: list[str] = field(default_factory=list)


def council_record(council: str, docs: list[StoredDocument], summaries: list[ArticleSummary]) -> CouncilRecord:
    """Every summarized entry and every unsummarized document about the council, in date order."""
    out = CouncilRecord()
    by_id = {d.id: d for d in docs}
    seen: set[str] = set()
    for rec in summaries:
        entry = rec.entry(council)
        if entry is None:
            continue
        seen.add(rec.doc_id)
        doc = by_id.get(rec.doc_id)
        visit = _summary_visit(rec, entry, doc)
        grades = _entry_grades(rec, entry, doc)
        out.timeline.append(_set_grades(visit[0], grades))
        out.graded.append(graded(visit[0], grades))
        out.visits.append(visit)
    for d in docs:  # documents about the council with no stored summary: code metadata only
        if d.id in seen or not about(d, council):
            continue
        grades = code_grades(d, council)
        out.timeline.append(_metadata_entry(d, council, grades))
        out.graded.append(graded(out.timeline[-1], grades))
        out.missing_summaries.append(d.id)
    out.timeline.sort(key=_sort_date)
    return out


def _recurring(visits: list[Visit]) -> list[dict]:
    """Recurring weaknesses: the themes two or more visits' findings share (themes.py), most visits first, with a
    citation from each visit; each visit's timeline entry is given the themes it raises."""
    found = [Finding(te.doc_id, it.text, (te, it, rec)) for te, entry, rec in visits for it in _findings(entry)]
    out = []
    for t in themes(found):
        cited = first_per_group(t)
        for f in t.findings:
            if t.label not in f.ref[0].themes:
                f.ref[0].themes.append(t.label)
        out.append({
            "theme": t.label,
            "visits": [f"{te.date or 'undated'} {te.kind or ''} ({te.doc_id})".strip() for te, _, _ in
                       (f.ref for f in cited)],
            "citations": [asdict(Citation.of(rec, it.evidence[0])) for _, it, rec in (f.ref for f in cited)],
        })
    return out


def _change(a: TimelineEntry, c: TimelineEntry) -> str:
    """What changed from one visit to the next: the judgement, and the themes kept, new and gone."""
    parts = []
    if a.judgement != c.judgement and (a.judgement or c.judgement):
        parts.append(f"judgement {a.judgement or 'not stated'} → {c.judgement or 'not stated'}")
    gone = sorted(set(a.themes) - set(c.themes))
    new = sorted(set(c.themes) - set(a.themes))
    kept = sorted(set(a.themes) & set(c.themes))
    if kept:
        parts.append(f"still raised: {', '.join(kept)}")
    if new:
        parts.append(f"newly raised: {', '.join(new)}")
    if gone:
        parts.append(f"no longer raised: {', '.join(gone)}")
    return (f"{a.date or 'undated'} ({a.doc_id}) → {c.date or 'undated'} ({c.doc_id}): "
            + ("; ".join(parts) if parts else "no change recorded"))


def council_briefing(name: str, docs: list[StoredDocument], summaries: list[ArticleSummary],
                     search=None) -> Briefing:
    """Everything the corpus says about one council. ``search(query, council)`` adds retrieval passages."""
    council = canonical_council(name) or name.strip()
    rec = council_record(council, docs, summaries)
    b = Briefing(council=council, covered=bool(rec.timeline), timeline=rec.timeline,
                 missing_summaries=rec.missing_summaries)
    seen_docs = {v[0].doc_id for v in rec.visits}
    b.recurring = _recurring(rec.visits)
    b.changes = [_change(a, c) for a, c in zip(b.timeline, b.timeline[1:])]
    b.inspections = inspections(rec.graded)
    b.grade_changes = changes(b.inspections)
    b.areas = area_order({a for i in b.inspections for a in i.grades})
    if search is not None and b.covered:
        for h in search(f"{council} Ofsted inspection findings", council):
            if h["doc_id"] in seen_docs:
                continue
            b.passages.append(h)
    return b


def digest(docs: list[StoredDocument], summaries: list[ArticleSummary]) -> dict:
    """Councils x latest judgement x date x source, and recurring themes with councils and citations."""
    rows: dict[str, dict] = {}
    found: list[Finding] = []
    by_id = {d.id: d for d in docs}
    for rec in summaries:
        doc = by_id.get(rec.doc_id)
        for entry in rec.councils:
            date = _doc_date(doc, entry)
            row = {"council": entry.council, "judgement": entry.judgement, "date": date, "summarized": True,
                   "kind": entry.inspection_kind, "source": rec.doc_id, "title": rec.title,
                   "citation": asdict(Citation.of(rec, entry.judgement_evidence[0])) if entry.judgement_evidence
                   else None}
            cur = rows.get(entry.council)
            if cur is None or (row["judgement"] and not cur["judgement"]) or \
                    (bool(row["judgement"]) == bool(cur["judgement"]) and (date or "") > (cur["date"] or "")):
                rows[entry.council] = row
            found += [Finding(entry.council, it.text, (rec, it)) for it in _findings(entry)]
    summarized_ids = {r.doc_id for r in summaries}
    for d in docs:  # documents not summarized yet: code metadata only
        if d.id in summarized_ids:
            continue
        judged = {j.council for j in d.meta.judgements if j.council}
        for council in [c for c in d.meta.councils if c in judged or c == (d.meta.councils or [None])[0]]:
            js = [j for j in d.meta.judgements if j.council == council and (not j.area or j.area ==
                                                                            "overall effectiveness")]
            row = {"council": council, "judgement": js[0].grade if js else None, "date": _doc_date(d, None),
                   "kind": d.meta.inspection_kind, "source": d.id, "title": d.title, "summarized": False,
                   "citation": asdict(Citation(d.id, d.title, js[0].start, js[0].end, d.text[js[0].start:js[0].end]))
                   if js and js[0].start is not None else None}
            cur = rows.get(council)
            if cur is None or (row["judgement"] and not cur["judgement"]) or \
                    (bool(row["judgement"]) == bool(cur["judgement"]) and (row["date"] or "") > (cur["date"] or "")):
                rows[council] = row
    shared = [{"theme": t.label, "councils": t.groups, "findings": len(t.findings),
               "citations": [asdict(Citation.of(f.ref[0], f.ref[1].evidence[0])) for f in first_per_group(t)]}
              for t in themes(found)]
    summarized = {r.doc_id for r in summaries}
    records = council_records(sorted(rows), docs, summaries)
    for council, record in records.items():
        rows[council] = _latest_row(rows[council], record, by_id, summarized)
    return {"councils": [rows[k] for k in sorted(rows)], "themes": shared,
            "by_year": year_distribution(records),
            "documents": len(docs), "summarized": len(summarized),
            "missing_summaries": sorted(d.id for d in docs if d.id not in summarized)}


def council_records(councils: list[str], docs: list[StoredDocument],
                    summaries: list[ArticleSummary]) -> dict[str, list[Inspection]]:
    """Council -> its graded inspections in date order (documents and summaries indexed by council once)."""
    doc_of: dict[str, list[StoredDocument]] = {}
    for d in docs:
        for c in dict.fromkeys(d.meta.councils[:1] + [j.council for j in d.meta.judgements if j.council]):
            doc_of.setdefault(c, []).append(d)
    sum_of: dict[str, list[ArticleSummary]] = {}
    for r in summaries:
        for e in r.councils:
            sum_of.setdefault(e.council, []).append(r)
    by_id = {d.id: d for d in docs}
    out = {}
    for c in councils:
        mine = doc_of.get(c, []) + [by_id[r.doc_id] for r in sum_of.get(c, []) if r.doc_id in by_id]
        out[c] = inspections(council_record(c, list({d.id: d for d in mine}.values()), sum_of.get(c, [])).graded)
    return out


def _latest_row(row: dict, record: list[Inspection], by_id: dict[str, StoredDocument], summarized: set[str]) -> dict:
    """The digest row of a council: its latest inspection with an overall grade, else the row found so far."""
    last = next((i for i in reversed(record) if OVERALL in i.grades), None)
    if last is None:
        return row | {"year": _year(row.get("date")), "inspections": len(record)}
    mark = last.evidence[OVERALL]
    doc = by_id.get(mark.doc_id)
    cite = Citation.of_mark(doc.title if doc else "", mark)
    return {"council": row["council"], "judgement": last.grades[OVERALL], "date": last.date, "year": last.year,
            "kind": last.kind, "source": mark.doc_id, "title": doc.title if doc else "",
            "summarized": mark.doc_id in summarized, "citation": asdict(cite) if cite else None,
            "documents": list(last.doc_ids), "inspections": len(record)}


def _year(value: str | None) -> int | None:
    """The year of an ISO date (or year); None for undated or 'no earlier than' dates ('≥2019')."""
    d = parse_date(value)
    return d.year if d else None
