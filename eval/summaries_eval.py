"""Evaluate structured summaries.

1. Grades (no model): the code-extracted judgement table of every report in ../shared/corpus/ofsted/grades.csv
   against the published grades, per judgement area, with a confusion table.
2. Summary quality (stored summaries vs eval/datasets/summaries_gold.jsonl): council, inspection kind, judgement,
   previous judgement and key-figure recall, plus the share of items whose evidence check passes and the count of
   items with a number absent from their evidence.

    python -m eval.summaries_eval --grades                 # grade accuracy, no model
    python -m eval.summaries_eval --gold --index DIR       # field accuracy of summaries stored under DIR/summaries
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from eval.findings_eval import FINDINGS_GOLD, REPORTS, findings_recall, format_findings, improvements_recall, read_reports

REPO = Path(__file__).resolve().parents[1]
OFSTED = REPO.parent / "shared" / "corpus" / "ofsted"
GOLD = REPO / "eval" / "datasets" / "summaries_gold.jsonl"
AREA_COLUMNS = {
    "overall_effectiveness": "overall effectiveness",
    "impact_of_leaders": "impact of leaders",
    "help_and_protection": "help and protection",
    "in_care": "children in care",
    "care_leavers": "care leavers",
}
LABELS = ["outstanding", "good", "requires improvement", "inadequate", "adequate", "(none)"]


def _norm_grade(g: str | None) -> str | None:
    if not g:
        return None
    g = g.strip().lower()
    if g == "inspection_pre_dates_judgement":
        return None
    return "requires improvement" if "improvement" in g else g


def load_reports(ids: set[str], path: Path | None = None) -> dict:
    """StoredDocuments (code metadata, no embeddings) for the given report ids."""
    from retrieval.loaders import jsonl_document
    from retrieval.pipeline import prepare
    from retrieval.settings import RetrievalSettings

    path = path or OFSTED / "reports.jsonl"
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            obj = json.loads(line)
            if obj["id"] not in ids:
                continue
            doc = jsonl_document(obj, path, n)
            out[obj["id"]], _ = prepare(doc, RetrievalSettings(), None)
    return out


def grade_eval(grades_csv: Path | None = None, limit: int | None = None) -> dict:
    """Per-area accuracy and confusion of the code-extracted grades (the summary record's AreaGrade list)."""
    from summarizer.summaries.summarizer import report_entry_from_code

    grades_csv = grades_csv or OFSTED / "grades.csv"
    rows = list(csv.DictReader(open(grades_csv, encoding="utf-8")))[:limit]
    t0 = time.perf_counter()
    docs = load_reports({r["id"] for r in rows})
    t_load = time.perf_counter() - t0
    per_area: dict[str, Counter] = defaultdict(Counter)
    confusion: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for r in rows:
        doc = docs.get(r["id"])
        entry = report_entry_from_code(doc) if doc else None
        got = {a.area: a.grade for a in entry.areas} if entry else {}
        for col, area in AREA_COLUMNS.items():
            gold = _norm_grade(r[col])
            if gold is None:
                continue
            pred = got.get(area)
            per_area[area]["n"] += 1
            per_area[area]["correct"] += pred == gold
            confusion[area][(gold, pred or "(none)")] += 1
            if pred != gold:
                errors.append({"id": r["id"], "area": area, "gold": gold, "predicted": pred})
    seconds = time.perf_counter() - t0
    return {
        "reports": len(rows), "found": len(docs), "seconds": round(seconds, 1), "load_seconds": round(t_load, 1),
        "accuracy": {a: {"n": c["n"], "correct": c["correct"], "accuracy": round(c["correct"] / c["n"], 4) if c["n"]
                         else None} for a, c in per_area.items()},
        "confusion": {a: {f"{g} -> {p}": n for (g, p), n in sorted(c.items())} for a, c in confusion.items()},
        "errors": errors,
    }


def format_confusion(result: dict) -> str:
    out = []
    for area, acc in result["accuracy"].items():
        out.append(f"{area}: {acc['correct']}/{acc['n']} = {acc['accuracy']:.1%}")
        cells = Counter()
        for k, n in result["confusion"][area].items():
            g, p = k.split(" -> ")
            cells[(g, p)] = n
        gold_labels = [lbl for lbl in LABELS if any(g == lbl for g, _ in cells)]
        pred_labels = [lbl for lbl in LABELS if any(p == lbl for _, p in cells)]
        out.append("| gold \\ predicted | " + " | ".join(pred_labels) + " |")
        out.append("|---" * (len(pred_labels) + 1) + "|")
        for g in gold_labels:
            out.append(f"| {g} | " + " | ".join(str(cells[(g, p)]) for p in pred_labels) + " |")
        out.append("")
    return "\n".join(out)


def _score_council(doc_id: str, ge: dict, entry, fields: Counter, correct: Counter, misses: list[dict]) -> None:
    """Count one gold council entry's fields (council, kind, judgements, key figures) against the stored entry."""
    from summarizer.support import number_in, numbers

    fields["council"] += 1
    correct["council"] += entry is not None
    if entry is None:
        misses.append({"doc_id": doc_id, "council": ge["council"], "field": "council"})
    for f in ("inspection_kind", "judgement", "previous_judgement"):
        fields[f] += 1
        got = getattr(entry, f) if entry else None
        ok = got == ge.get(f)
        correct[f] += ok
        if not ok:
            misses.append({"doc_id": doc_id, "council": ge["council"], "field": f, "gold": ge.get(f),
                           "got": got})
    figs = " ".join(i.text for i in entry.figures) + " " + " ".join(
        i.text for i in entry.weaknesses + entry.strengths + entry.actions) if entry else ""
    for fig in ge.get("key_figures", []):
        fields["key_figures"] += 1
        nums = numbers(fig)
        ok = bool(nums) and all(number_in(n, figs) for n in nums)
        correct["key_figures"] += ok
        if not ok:
            misses.append({"doc_id": doc_id, "council": ge["council"], "field": "key_figure",
                           "gold": fig})


def _items_with_absent_numbers(summaries: list) -> int:
    """Kept items whose text has a number their evidence lacks."""
    from summarizer.support import number_in, numbers

    bad_numbers = 0
    for s in summaries:
        for _, _, it in s.items():
            ev = " ".join(e.text for e in it.evidence)
            text = getattr(it, "text", "")
            if any(not number_in(n, ev) for n in numbers(text)):
                bad_numbers += 1
    return bad_numbers


def gold_eval(summaries: list, gold_path: Path | None = None) -> dict:
    """Field accuracy of stored summaries against the hand-checked gold records, and evidence-check pass share."""
    gold = [json.loads(line) for line in open(gold_path or GOLD, encoding="utf-8") if line.strip()]
    by_doc = {s.doc_id: s for s in summaries}
    fields = Counter()
    correct = Counter()
    misses = []
    for g in gold:
        rec = by_doc.get(g["doc_id"])
        if rec is None:  # not summarized yet: reported under "summarized", not scored
            continue
        for ge in g["councils"]:
            _score_council(g["doc_id"], ge, rec.entry(ge["council"]) if rec else None, fields, correct, misses)
        extra = [e.council for e in (rec.councils if rec else []) if e.council not in {c["council"] for c in g["councils"]}]
        if extra:
            misses.append({"doc_id": g["doc_id"], "field": "extra councils", "got": extra})
    # evidence checks over every item kept and dropped
    kept = sum(1 for s in summaries for _ in s.items())
    dropped = sum(len(s.dropped) for s in summaries)
    bad_numbers = _items_with_absent_numbers(summaries)
    return {
        "documents": len(gold), "summarized": sum(1 for g in gold if g["doc_id"] in by_doc),
        "accuracy": {f: {"n": fields[f], "correct": correct[f], "accuracy": round(correct[f] / fields[f], 4)}
                     for f in fields},
        "items_kept": kept, "items_dropped": dropped,
        "evidence_pass_share": round(kept / (kept + dropped), 4) if kept + dropped else None,
        "kept_items_with_number_absent_from_evidence": bad_numbers,
        "seconds_per_doc": round(sum(s.stats.seconds for s in summaries) / len(summaries), 1) if summaries else None,
        "completion_tokens_per_s": round(sum(s.stats.completion_tokens for s in summaries)
                                         / max(1e-9, sum(s.stats.seconds for s in summaries)), 2),
        "misses": misses,
    }


def _person_claim(p) -> str:
    """A person item as a statement the checker can judge ("Ada Burns is chief executive of the council.")."""
    if not p.role:
        return f"{p.name} is named{f' ({p.organisation})' if p.organisation else ''}."
    org = f" ({p.organisation})" if p.organisation and p.organisation.lower() not in p.role.lower() else ""
    return f"{p.name} is {p.role}{org}."


def item_claims(summaries: list) -> list[dict]:
    """Every kept summary statement with the evidence it cites (the overview too, when it has evidence)."""
    out = []
    for s in summaries:
        if s.overview and s.overview_evidence:
            out.append({"doc_id": s.doc_id, "council": None, "field": "overview", "text": s.overview,
                        "evidence": " ".join(e.text for e in s.overview_evidence)})
        for council, field, it in s.items():
            text = it.text if hasattr(it, "text") else _person_claim(it)
            out.append({"doc_id": s.doc_id, "council": council, "field": field, "text": text,
                        "evidence": " ".join(e.text for e in it.evidence)})
    return out


def faithfulness_eval(summaries: list, checker) -> dict:
    """Each summary statement judged against its own evidence by the faithfulness checker (summarizer.checking)."""
    items = item_claims(summaries)
    verdicts = checker.check_many([(i["text"], i["evidence"]) for i in items]) if items else []
    by_field: dict[str, Counter] = defaultdict(Counter)
    unsupported = []
    for i, v in zip(items, verdicts):
        by_field[i["field"]]["n"] += 1
        by_field[i["field"]]["supported"] += v.supported
        if not v.supported:
            unsupported.append({**i, "score": v.score, "flags": v.flags})
    n = len(items)
    return {
        "items": n,
        "supported": sum(c["supported"] for c in by_field.values()),
        "faithfulness": round(sum(c["supported"] for c in by_field.values()) / n, 4) if n else None,
        "by_field": {f: {"n": c["n"], "supported": c["supported"]} for f, c in sorted(by_field.items())},
        "unsupported": unsupported,
    }


def run_summaries_eval(service, *, checker=None, grades: bool = True, limit: int | None = None) -> dict:
    """`brief eval --summaries`: gold field accuracy and item faithfulness of the stored summaries, and grades."""
    summaries = service.stored_summaries()
    out: dict = {"index": str(service.index_dir), "summaries": len(summaries), "documents": len(service.documents())}
    out["gold"] = gold_eval(summaries) if GOLD.is_file() else None
    out["findings"] = findings_recall(summaries) if FINDINGS_GOLD.is_file() else None
    if REPORTS.is_file():
        out["improvements"] = {k: v for k, v in improvements_recall(read_reports()).items() if k != "reports_short"}
    if checker is not None:
        out["faithfulness"] = faithfulness_eval(summaries, checker)
    if grades and (OFSTED / "grades.csv").is_file():
        out["grades"] = grade_eval(limit=limit)
    return out


def format_summaries_eval(r: dict) -> str:
    lines = [f"Summaries eval over {r['index']}: {r['summaries']} stored summaries of {r['documents']} documents"]
    g = r.get("gold")
    if g:
        lines.append(f"  gold ({g['summarized']}/{g['documents']} gold documents summarized):")
        for f, a in g["accuracy"].items():
            lines.append(f"    {f:20} {a['correct']}/{a['n']} = {a['accuracy']:.1%}")
        lines.append(f"    items kept/dropped by the evidence checks: {g['items_kept']}/{g['items_dropped']}; kept items "
                     f"with a number absent from their evidence: {g['kept_items_with_number_absent_from_evidence']}")
        for m in g["misses"][:10]:
            lines.append(f"    miss: {m}")
    lines += format_findings(r.get("findings"), r.get("improvements"))
    f = r.get("faithfulness")
    if f:
        lines.append(f"  faithfulness (checker, each statement vs its evidence): {f['supported']}/{f['items']}"
                     + (f" = {f['faithfulness']:.1%}" if f["faithfulness"] is not None else ""))
        for u in f["unsupported"][:10]:
            lines.append(f"    unsupported [{u['doc_id']} {u['field']}]: {u['text'][:100]} (score {u['score']})")
    gr = r.get("grades")
    if gr:
        lines.append(f"  grades from {gr['found']}/{gr['reports']} reports in grades.csv ({gr['seconds']} s):")
        for area, a in gr["accuracy"].items():
            lines.append(f"    {area:22} {a['correct']}/{a['n']} = {a['accuracy']:.1%}")
    if r.get("summaries") == 0:
        lines.append("  no stored summaries yet: run `brief summarize --all` first")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grades", action="store_true", help="grade accuracy over grades.csv (no model)")
    ap.add_argument("--gold", action="store_true", help="field accuracy of stored summaries against the gold file")
    ap.add_argument("--index", default=".brief/index", help="index whose summaries/ store is evaluated")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (args.grades or args.gold):
        args.grades = True
    if args.grades:
        r = grade_eval(limit=args.limit)
        if args.json:
            print(json.dumps(r, indent=2))
        else:
            print(f"{r['found']}/{r['reports']} reports, {r['seconds']}s")
            print(format_confusion(r))
            for e in r["errors"][:20]:
                print("  error:", e)
    if args.gold:
        from summarizer.service import BriefService
        from summarizer.settings import Settings

        svc = BriefService(Settings.from_env(args.index))
        r = gold_eval(svc.stored_summaries())
        print(json.dumps(r, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
