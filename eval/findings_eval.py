"""Findings recall: stored summaries against the findings gold (eval/datasets/findings_gold.jsonl), and the
"what needs to improve" recall of the improvement lists code reads from every Ofsted report.

A gold finding is recalled when an item of its kind holds, for every term group, at least one alternative
(case-insensitive substring); "any kind" recall also counts an item of another kind. Items cut off mid-sentence and
near-duplicate items are counted too.

    python -m eval.findings_eval --index DIR          # findings recall of the summaries stored under DIR
    python -m eval.findings_eval --improvements       # what-needs-to-improve recall over all reports, no model
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINDINGS_GOLD = REPO / "eval" / "datasets" / "findings_gold.jsonl"
REPORTS = REPO.parent / "shared" / "corpus" / "ofsted" / "reports.jsonl"
KIND_FIELDS = {"weakness": ("weaknesses",), "strength": ("strengths",), "action": ("actions", "improvements"),
               "figure": ("figures",), "person": ("people",)}
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def norm(text: str) -> str:
    """Lower case, straight quotes and dashes, single spaces: the form term matching compares."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).lower())


def matches(terms: list[list[str]], text: str) -> bool:
    """Every term group has an alternative in text."""
    t = norm(text)
    return all(any(norm(alt) in t for alt in group) for group in terms)


def _entry_texts(entry) -> dict[str, list[str]]:
    """Item texts by field (a person as name, role and organisation)."""
    out = {f: [i.text for i in getattr(entry, f)] for f in ("weaknesses", "strengths", "actions", "figures",
                                                            "improvements")}
    people = entry.people + ([entry.lead_inspector] if entry.lead_inspector else [])
    out["people"] = [" ".join(filter(None, (p.name, p.role, p.organisation))) for p in people]
    return out


def cut_off(text: str) -> bool:
    """A statement that does not end as a sentence does (a terminal mark, maybe inside a closing quote)."""
    return not re.search(r"[.!?;:][\"'”’)\]]*$|[.!?][\"'”’]?\s*\(\w[^)]*\)$", text.strip())


def duplicates(texts: list[str]) -> int:
    """Items whose content words repeat an earlier item's (80% of the shorter one's words)."""
    from summarizer.support import content_terms

    seen: list[set[str]] = []
    dup = 0
    for t in texts:
        terms = content_terms(t)
        if terms and any(len(terms & s) / min(len(terms), len(s)) >= 0.8 for s in seen if s):
            dup += 1
        seen.append(terms)
    return dup


def _score_doc(g: dict, entry, by_kind: Counter, hit: Counter, hit_any: Counter, misses: list[dict]) -> None:
    texts = _entry_texts(entry) if entry is not None else {}
    every = [t for ts in texts.values() for t in ts]
    for f in g["findings"]:
        kind = f["kind"]
        by_kind[kind] += 1
        own = [t for fld in KIND_FIELDS[kind] for t in texts.get(fld, [])]
        if any(matches(f["terms"], t) for t in own):
            hit[kind] += 1
            hit_any[kind] += 1
        elif any(matches(f["terms"], t) for t in every):
            hit_any[kind] += 1
        else:
            misses.append({"doc": g["doc"], "council": g["council"], "kind": kind, "finding": f["text"]})


def findings_recall(summaries: list, gold_path: Path | None = None) -> dict:
    """Recall of the gold findings per kind among the stored summaries' items, with cut-off and duplicate counts."""
    gold = [json.loads(line) for line in open(gold_path or FINDINGS_GOLD, encoding="utf-8") if line.strip()]
    by_doc = {s.doc_id: s for s in summaries}
    by_kind, hit, hit_any = Counter(), Counter(), Counter()
    misses: list[dict] = []
    scored = [g for g in gold if g["doc"] in by_doc]
    for g in scored:
        _score_doc(g, by_doc[g["doc"]].entry(g["council"]), by_kind, hit, hit_any, misses)
    fields = [ts for d in {g["doc"] for g in scored} for e in by_doc[d].councils
              for f, ts in _entry_texts(e).items() if f != "people"]
    items = [t for ts in fields for t in ts]
    dups = sum(duplicates(ts) for ts in fields)
    n = sum(by_kind.values())
    return {
        "gold_documents": len({g["doc"] for g in gold}), "scored_documents": len({g["doc"] for g in scored}),
        "findings": n, "recall": round(sum(hit.values()) / n, 4) if n else None,
        "recall_any_kind": round(sum(hit_any.values()) / n, 4) if n else None,
        "by_kind": {k: {"n": by_kind[k], "recalled": hit[k], "recall": round(hit[k] / by_kind[k], 4),
                        "recall_any_kind": round(hit_any[k] / by_kind[k], 4)} for k in sorted(by_kind)},
        "items": len(items), "items_cut_off": sum(cut_off(t) for t in items if " " in t), "items_duplicated": dups,
        "misses": misses,
    }


_WNTI = re.compile(r"what\s+needs\s+to\s+improve\??[^\n]*\n", re.I)
_NEXT_SECTION = re.compile(r"\n[ \t]*(?:the\s+experiences\s+and\s+progress|the\s+impact\s+of\s+leaders|"
                           r"information\s+about\s+this|summary\s+for\s+children)", re.I)


def listed_improvements(text: str) -> list[str]:
    """The report's own "what needs to improve" list: every bulleted segment between that heading and the next
    section heading (the gold; read independently of summarizer/summaries/report_parts.py)."""
    m = _WNTI.search(text)
    if not m:
        return []
    end = _NEXT_SECTION.search(text, m.end())
    block = text[m.end(): end.start() if end else m.end() + 4000]
    return [norm(p).strip(" .") for p in re.split(r"[◼•▪\uf06e]", block)[1:] if len(p.split()) >= 3]


def _covered(item: str, extracted: list[str]) -> bool:
    words = set(re.findall(r"\w+", item))
    return any(len(words & set(re.findall(r"\w+", e))) >= 0.8 * len(words) for e in extracted)


def improvements_recall(reports: Iterable[dict]) -> dict:
    """Share of each report's listed improvements that its summary record (read by code) holds, over all reports."""
    from summarizer.summaries.report_parts import improvement_items

    t0 = time.perf_counter()
    n_reports = with_list = items = found = 0
    short: list[dict] = []
    for r in reports:
        n_reports += 1
        gold = listed_improvements(r["text"])
        if not gold:
            continue
        with_list += 1
        got = [norm(t) for t, _ in improvement_items(r["text"])]
        hit = sum(_covered(g, got) for g in gold)
        items += len(gold)
        found += hit
        if hit < len(gold):
            short.append({"id": r["id"], "listed": len(gold), "found": hit})
    return {"reports": n_reports, "with_list": with_list, "items": items, "found": found,
            "recall": round(found / items, 4) if items else None, "reports_short": short,
            "seconds": round(time.perf_counter() - t0, 1)}


def read_reports(path: Path = REPORTS) -> Iterable[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def format_findings(f: dict | None, imp: dict | None) -> list[str]:
    """The findings-recall and improvement-list lines of the summaries eval report."""
    lines = []
    if f and f["findings"]:
        lines.append(f"  findings recall ({f['scored_documents']}/{f['gold_documents']} gold documents summarized): "
                     f"{f['recall']:.1%} by kind, {f['recall_any_kind']:.1%} in any kind, of {f['findings']}")
        for k, v in f["by_kind"].items():
            lines.append(f"    {k:10} {v['recalled']}/{v['n']} = {v['recall']:.1%} (any kind {v['recall_any_kind']:.1%})")
        lines.append(f"    items {f['items']}: cut off {f['items_cut_off']}, duplicated {f['items_duplicated']}")
    if imp and imp.get("items"):
        lines.append(f"  what-needs-to-improve recall over {imp['with_list']}/{imp['reports']} reports with a list: "
                     f"{imp['found']}/{imp['items']} = {imp['recall']:.1%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", help="index whose stored summaries are scored against the findings gold")
    ap.add_argument("--improvements", action="store_true", help="what-needs-to-improve recall over all reports")
    args = ap.parse_args(argv)
    if args.improvements:
        r = improvements_recall(read_reports())
        print(json.dumps({k: v for k, v in r.items() if k != "reports_short"} | {"short": r["reports_short"][:20]},
                         indent=1))
    if args.index:
        from summarizer.service import BriefService
        from summarizer.settings import Settings

        r = findings_recall(BriefService(Settings.from_env(args.index)).stored_summaries())
        print(json.dumps({k: v for k, v in r.items() if k != "misses"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
