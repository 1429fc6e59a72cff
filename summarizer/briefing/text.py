"""Briefings and the digest as plain text for the terminal (``brief council NAME``, ``brief digest``)."""
from __future__ import annotations

from summarizer.briefing.briefing import Briefing


def format_briefing(b: Briefing) -> str:
    """The briefing as Markdown-ish text: timeline, recurring weaknesses, changes, passages."""
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
    if b.grade_changes:
        out += ["", "## What changed between inspections (judgement areas)", ""]
        out += [f"- {c.text()}" for c in b.grade_changes]
    if b.changes:
        out += ["", "## What changed between visits", ""] + [f"- {c}" for c in b.changes]
    if b.passages:
        out += ["", "## Other passages found by search", ""]
        out += [f"- [{p['doc_id']} chars {p['start']}-{p['end']}] {p['text'][:200]}" for p in b.passages[:3]]
    if b.missing_summaries:
        out += ["", f"Run `brief summarize {' '.join(b.missing_summaries)}` for full entries."]
    return "\n".join(out)


def format_digest(d: dict) -> str:
    """The digest as a Markdown table, then the judgements by year and the recurring themes."""
    out = ["| Council | Latest judgement | Date | Kind | Source |", "|---|---|---|---|---|"]
    for r in d["councils"]:
        out.append(f"| {r['council']} | {r['judgement'] or '—'} | {r['date'] or '—'} | {r['kind'] or '—'} | "
                   f"{r['source']}{'' if r.get('summarized', True) else ' (metadata only)'} |")
    if d.get("by_year"):
        out += ["", "Overall effectiveness judgements by year:"]
        for year, counts in d["by_year"].items():
            out.append(f"- {year}: " + ", ".join(f"{g} {n}" for g, n in sorted(counts.items(), key=lambda kv: -kv[1])))
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
