"""Briefings across articles, built from stored structured summaries plus retrieval (never whole articles in a prompt).

- ``council_briefing``: a dated timeline of one council's inspections and judgements, recurring weaknesses, and what
  changed between visits, each point with citations (article id + character span + the cited words).
- ``digest``: councils x latest judgement x date x source, and the themes that recur across councils.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from retrieval.councils import canonical_council
from retrieval.store import StoredDocument

from summarizer.summaries.schema import ArticleSummary, CouncilEntry, Span

THEMES: dict[str, str] = {
    "caseloads and workloads": r"caseloads?|workloads?|overstretched|high\s+numbers?\s+of\s+(?:cases|children)",
    "recruitment and retention": r"recruit|retention|retain|agency\s+staff|turnover|vacanc|permanent\s+staff|"
                                 r"changes?\s+(?:of|in)\s+social\s+workers?",
    "leadership and management oversight": r"leaders?(?:hip)?|management\s+oversight|oversight|senior\s+managers?|"
                                           r"grip|accountab",
    "timeliness of assessments and plans": r"timel|delay|timescales?|too\s+long|not\s+seen|wait",
    "thresholds and the front door": r"threshold|front\s+door|\bMASH\b|referral|multi-agency\s+safeguarding",
    "quality of practice and plans": r"quality\s+of\s+(?:practice|plans?|assessments?|social\s+work)|plans?\s+"
                                     r"(?:are|were|is)\s+poor|analytical",
    "children who go missing": r"missing|return\s+home\s+interview",
    "partnership working": r"partner|police|health\s+(?:agencies|services)|multi-agency",
    "performance management and quality assurance": r"performance\s+management|quality\s+assurance|audit|"
                                                    r"self-evaluation|improvement\s+plan",
    "care leavers and permanence": r"care\s+leavers?|permanence|adoption",
}
_THEME_RX = {k: re.compile(v, re.I) for k, v in THEMES.items()}


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


@dataclass
class TimelineEntry:
    date: str | None
    kind: str | None
    judgement: str | None
    previous_judgement: str | None
    doc_id: str
    title: str
    doc_type: str
    areas: dict[str, str] = field(default_factory=dict)
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
    passages: list[dict] = field(default_factory=list)  # retrieval hits not covered by a stored summary
    missing_summaries: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _themes(texts: list[str]) -> list[str]:
    joined = " ".join(texts)
    return [k for k, rx in _THEME_RX.items() if rx.search(joined)]


def _item_themes(entry: CouncilEntry) -> dict[str, list]:
    """theme -> weakness/improvement items of this entry that mention it."""
    out: dict[str, list] = {}
    for it in entry.weaknesses + entry.improvements + entry.actions:
        for t in _themes([it.text, it.evidence[0].text]):
            out.setdefault(t, []).append(it)
    return out


def _sort_date(e: TimelineEntry) -> str:
    return e.date or "9999"


def _doc_date(doc: StoredDocument | None, entry: CouncilEntry | None) -> str | None:
    if entry and entry.inspection_dates:
        return entry.inspection_dates[0]
    if entry and entry.date:
        return entry.date
    if doc is not None:
        if doc.date:
            return doc.date
        years = [y for y in doc.meta.years if y <= 2030]
        if years:
            return f"≥{max(years)}"  # undated: no earlier than the latest year it mentions
    return None


Visit = tuple[TimelineEntry, dict[str, list], ArticleSummary]  # a summarized visit, its themes' items, its record


def _summary_visit(rec: ArticleSummary, entry: CouncilEntry, doc: StoredDocument | None) -> Visit:
    """The timeline entry of a council's stored summary, with the items behind each of its themes."""
    te = TimelineEntry(
        date=_doc_date(doc, entry), kind=entry.inspection_kind, judgement=entry.judgement,
        previous_judgement=entry.previous_judgement, doc_id=rec.doc_id, title=rec.title, doc_type=rec.doc_type,
        areas={a.area: a.grade for a in entry.areas},
        weaknesses=[w.text for w in entry.weaknesses + entry.improvements][:6],
        strengths=[s.text for s in entry.strengths][:4],
    )
    if entry.judgement_evidence:
        te.citations.append(Citation.of(rec, entry.judgement_evidence[0]))
    for it in (entry.weaknesses + entry.improvements)[:3]:
        te.citations.append(Citation.of(rec, it.evidence[0]))
    themes = _item_themes(entry)
    te.themes = sorted(themes)
    return te, themes, rec


def _metadata_entry(d: StoredDocument, council: str) -> TimelineEntry:
    """The timeline entry of a document with no stored summary: code metadata only."""
    js = [j for j in d.meta.judgements if j.council == council]
    overall = next((j.grade for j in js if j.area == "overall effectiveness"), js[0].grade if js else None)
    te = TimelineEntry(date=_doc_date(d, None), kind=d.meta.inspection_kind, judgement=overall,
                       previous_judgement=None, doc_id=d.id, title=d.title, doc_type=d.meta.doc_type,
                       areas={j.area: j.grade for j in js if j.area}, summarized=False)
    if js and js[0].start is not None:
        te.citations.append(Citation(d.id, d.title, js[0].start, js[0].end, d.text[js[0].start:js[0].end]))
    return te


def _recurring(visits_themes: list[Visit]) -> list[dict]:
    """Recurring weaknesses: each theme raised in two or more visits, most visits first, with a citation each."""
    theme_visits: dict[str, list[tuple[TimelineEntry, list, ArticleSummary]]] = {}
    for te, themes, rec in visits_themes:
        for t, items in themes.items():
            theme_visits.setdefault(t, []).append((te, items, rec))
    out = []
    for t, visits in sorted(theme_visits.items(), key=lambda kv: -len(kv[1])):
        if len(visits) < 2:
            continue
        out.append({
            "theme": t,
            "visits": [f"{te.date or 'undated'} {te.kind or ''} ({te.doc_id})".strip() for te, _, _ in visits],
            "citations": [asdict(Citation.of(rec, items[0].evidence[0])) for _, items, rec in visits],
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
    b = Briefing(council=council, covered=False)
    by_id = {d.id: d for d in docs}
    seen_docs: set[str] = set()
    per_visit_themes: list[Visit] = []
    for rec in summaries:
        entry = rec.entry(council)
        if entry is None:
            continue
        seen_docs.add(rec.doc_id)
        visit = _summary_visit(rec, entry, by_id.get(rec.doc_id))
        b.timeline.append(visit[0])
        per_visit_themes.append(visit)
    for d in docs:  # documents about the council with no stored summary: code metadata only
        if d.id in seen_docs or council not in d.meta.councils[:1] + [j.council for j in d.meta.judgements]:
            continue
        b.timeline.append(_metadata_entry(d, council))
        b.missing_summaries.append(d.id)
    b.timeline.sort(key=_sort_date)
    b.covered = bool(b.timeline)
    b.recurring = _recurring(per_visit_themes)
    b.changes = [_change(a, c) for a, c in zip(b.timeline, b.timeline[1:])]
    if search is not None and b.covered:
        for h in search(f"{council} Ofsted inspection findings", council):
            if h["doc_id"] in seen_docs:
                continue
            b.passages.append(h)
    return b


def digest(docs: list[StoredDocument], summaries: list[ArticleSummary]) -> dict:
    """Councils x latest judgement x date x source, and recurring themes with councils and citations."""
    rows: dict[str, dict] = {}
    theme_hits: dict[str, dict[str, dict]] = {}
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
            for t, items in _item_themes(entry).items():
                theme_hits.setdefault(t, {}).setdefault(entry.council, asdict(Citation.of(rec, items[0].evidence[0])))
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
    themes = [{"theme": t, "councils": sorted(hits), "citations": [hits[c] for c in sorted(hits)]}
              for t, hits in sorted(theme_hits.items(), key=lambda kv: (-len(kv[1]), kv[0])) if len(hits) >= 2]
    summarized = {r.doc_id for r in summaries}
    return {"councils": [rows[k] for k in sorted(rows)], "themes": themes,
            "documents": len(docs), "summarized": len(summarized),
            "missing_summaries": sorted(d.id for d in docs if d.id not in summarized)}


def format_briefing(b: Briefing) -> str:
    if not b.covered:
        return f"The corpus has nothing about {b.council}."
    out = [f"# {b.council}", "", "## Timeline", ""]
    for te in b.timeline:
        j = te.judgement or "no judgement stated"
        prev = f" (previously {te.previous_judgement})" if te.previous_judgement else ""
        out.append(f"- {te.date or 'undated'} — {te.kind or 'inspection'}: {j}{prev} [{te.doc_id}]"
                   + ("" if te.summarized else " (not summarized yet: code metadata only)"))
        if te.areas:
            out.append("    areas: " + "; ".join(f"{a}: {g}" for a, g in te.areas.items()))
        for w in te.weaknesses[:4]:
            out.append(f"    weakness: {w}")
        for c in te.citations[:2]:
            out.append(f"    cite {c.doc_id} chars {c.start}-{c.end}: “{c.text[:160]}”")
    if b.recurring:
        out += ["", "## Recurring weaknesses", ""]
        for r in b.recurring:
            out.append(f"- {r['theme']}: {', '.join(r['visits'])}")
            for c in r["citations"][:3]:
                out.append(f"    cite {c['doc_id']} chars {c['start']}-{c['end']}: “{c['text'][:140]}”")
    if b.changes:
        out += ["", "## What changed between visits", ""] + [f"- {c}" for c in b.changes]
    if b.passages:
        out += ["", "## Other passages found by search", ""]
        out += [f"- [{p['doc_id']} chars {p['start']}-{p['end']}] {p['text'][:200]}" for p in b.passages[:3]]
    if b.missing_summaries:
        out += ["", f"Run `brief summarize {' '.join(b.missing_summaries)}` for full entries."]
    return "\n".join(out)


def format_digest(d: dict) -> str:
    out = ["| Council | Latest judgement | Date | Kind | Source |", "|---|---|---|---|---|"]
    for r in d["councils"]:
        out.append(f"| {r['council']} | {r['judgement'] or '—'} | {r['date'] or '—'} | {r['kind'] or '—'} | "
                   f"{r['source']}{'' if r.get('summarized', True) else ' (metadata only)'} |")
    if d["themes"]:
        out += ["", "Recurring themes:"]
        for t in d["themes"]:
            out.append(f"- {t['theme']}: {', '.join(t['councils'])}")
            for c in t["citations"][:4]:
                out.append(f"    {c['doc_id']} chars {c['start']}-{c['end']}: “{c['text'][:120]}”")
    if d["missing_summaries"]:
        out.append(f"\n{len(d['missing_summaries'])} of {d['documents']} documents have no summary yet: "
                   "run `brief summarize --all`.")
    return "\n".join(out)
