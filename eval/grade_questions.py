"""Generate factual QA items from the published Ofsted grades (../shared/corpus/ofsted/grades.csv).

Answerable: "What grade did Ofsted give <council> for <area> in its <month year> inspection?", scored automatically:
the answer must name the published grade and no other grade. Unanswerable: the same question for a year in which the
corpus holds no inspection of that council, so the right answer is that the reports don't say.

    python -m eval.grade_questions --n 30 --out eval/datasets/grades_generated.jsonl
    brief ingest ../shared/corpus/ofsted/reports.jsonl --index DIR
    brief eval --qa eval/datasets/grades_generated.jsonl --index DIR
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import date
from pathlib import Path

from retrieval.councils import canonical_council
from retrieval.ofsted import AREA_COLUMNS, AREA_WORDINGS, ILACS_GRADES, norm_grade

from eval.summaries_eval import OFSTED

AREA_WORDING = AREA_WORDINGS
ALL_GRADES = ILACS_GRADES


def _inspection_date(row: dict) -> date | None:
    try:
        d, m, y = (int(x) for x in row["inspection_start_date"].split("/"))
        return date(y, m, d)
    except (ValueError, KeyError):
        return None


def _council(row: dict) -> str:
    slug = row["local_authority"]
    return canonical_council(slug) or slug.replace("_", " ").title()


def report_years(report_ids: list[str]) -> dict[str, set[int]]:
    """Years of every report (graded or not) per council slug, from ids like 80569_tameside_2019-07-01."""
    out: dict[str, set[int]] = {}
    for rid in report_ids:
        _, _, rest = rid.partition("_")
        slug, _, day = rest.rpartition("_")
        if slug and day[:4].isdigit():
            out.setdefault(slug, set()).add(int(day[:4]))
    return out


def grade_items(rows: list[dict], n: int, seed: int = 0, unanswerable_share: float = 0.2,
                all_report_ids: list[str] | None = None) -> list[dict]:
    """n QA items (about unanswerable_share of them unanswerable), reproducible from seed.

    all_report_ids (every report in the corpus, graded or not) keeps unanswerable years clear of any visit at all.
    """
    rng = random.Random(seed)
    graded = []
    for r in rows:
        when = _inspection_date(r)
        if when is None:
            continue
        for col, area in AREA_COLUMNS.items():
            g = norm_grade(r.get(col))
            if g in ALL_GRADES:
                graded.append((r, area, g, when))
    rng.shuffle(graded)
    n_una = round(n * unanswerable_share)
    items: list[dict] = []
    seen_reports: set[str] = set()
    for r, area, g, when in graded:  # one question per report, so the set spans many reports
        if len(items) >= n - n_una:
            break
        if r["id"] in seen_reports:
            continue
        seen_reports.add(r["id"])
        council = _council(r)
        items.append({
            "id": f"g{len(items) + 1:02d}",
            "question": f"What grade did Ofsted give {council} for {AREA_WORDING[area]} in its "
                        f"{when.strftime('%B')} {when.year} inspection?",
            "answerable": True, "docs": [r["id"]], "facts": [[g]],
            # other grades; "good" is not wrong for "requires improvement", whose full name ends "to be good"
            "wrong": [x for x in ALL_GRADES if x != g and not (g == "requires improvement" and x == "good")],
            "type": "single",
            "note": f"grades.csv: {r['id']} {area} = {g} (inspection from {r['inspection_start_date']})",
        })
    years_by_council: dict[str, set[int]] = {}
    for r in rows:
        when = _inspection_date(r)
        if when:
            years_by_council.setdefault(r["local_authority"], set()).add(when.year)
    for slug, years in report_years(all_report_ids or []).items():
        if slug in years_by_council:
            years_by_council[slug] |= years
    councils = sorted(years_by_council)
    rng.shuffle(councils)
    for slug in councils[:n_una]:
        years = years_by_council[slug]
        free = [y for y in range(min(years) - 3, max(years) + 1) if all(abs(y - x) > 1 for x in years)]
        if not free:
            continue
        year = rng.choice(free)
        area = rng.choice(list(AREA_WORDING))
        items.append({
            "id": f"g{len(items) + 1:02d}",
            "question": f"What grade did Ofsted give {_council({'local_authority': slug})} for {AREA_WORDING[area]} "
                        f"in its {year} inspection?",
            "answerable": False, "docs": [], "facts": [], "type": "unanswerable",
            "note": f"no {slug} report from {year} (or the year either side) in the corpus",
        })
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30, help="questions to generate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--grades", default=str(OFSTED / "grades.csv"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if not Path(args.grades).is_file():
        print(f"grade_questions: no grades file at {args.grades}; pass --grades PATH to Ofsted's grades.csv",
              file=sys.stderr)
        return 2
    rows = list(csv.DictReader(open(args.grades, encoding="utf-8")))
    reports = Path(args.grades).with_name("reports.jsonl")
    ids = [json.loads(line)["id"] for line in open(reports, encoding="utf-8")] if reports.is_file() else []
    items = grade_items(rows, args.n, args.seed, all_report_ids=ids)
    out = Path(args.out)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    tmp.replace(out)
    print(f"{len(items)} questions ({sum(i['answerable'] for i in items)} answerable) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
