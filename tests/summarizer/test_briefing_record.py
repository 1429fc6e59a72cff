"""A council's graded record from code-read grades: the dated timeline with each area's grade, what changed area by
area between consecutive inspections, the chart of each area over time, the digest's judgements by year, the JSON
the CLI prints and the exports. The index holds the bundled articles and four real Ofsted reports (conftest
``reports_index``); the expected grades and dates are the published ones in ../shared/corpus/ofsted/grades.csv."""
from __future__ import annotations

import csv
import html
import json
import re
from datetime import datetime

import pytest

from retrieval.ofsted import AREA_COLUMNS, ILACS_GRADES, norm_grade
from summarizer.briefing.history import Direction, GradedEntry, inspections
from summarizer.briefing.grades import AreaMark
from tests.conftest import DARLINGTON, OFSTED, RECORD_REPORTS, need_shared
from ui.cli import main


def _published() -> dict[str, dict]:
    """Report id -> {"start": ISO inspection start, "grades": {area: grade}} from grades.csv."""
    out = {}
    with need_shared(OFSTED / "grades.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["id"] not in RECORD_REPORTS:
                continue
            grades = {area: g for col, area in AREA_COLUMNS.items() if (g := norm_grade(row[col]))}
            start = datetime.strptime(row["inspection_start_date"], "%d/%m/%Y").date().isoformat()
            out[row["id"]] = {"start": start, "grades": grades}
    return out


@pytest.fixture(scope="module")
def svc(reports_index):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(reports_index))


@pytest.fixture(scope="module")
def published():
    return _published()


def _expected_direction(before: str | None, after: str | None) -> Direction:
    if before is None:
        return Direction.NEWLY_GRADED
    if after is None:
        return Direction.NOT_GRADED
    b, a = ILACS_GRADES.index(before), ILACS_GRADES.index(after)  # best first
    return Direction.IMPROVED if a < b else Direction.DECLINED if a > b else Direction.SAME


@pytest.mark.parametrize("council", ["Darlington", "Tameside"])
def test_timeline_shows_both_reports_in_date_order_with_their_area_grades(svc, published, council):
    b = svc.council_briefing(council)
    reports = [te for te in b.timeline if te.doc_type == "report"]
    ids = sorted((r for r in RECORD_REPORTS if council.lower() in r), key=lambda r: published[r]["start"])
    assert [te.doc_id for te in reports] == ids
    dated = [te.date for te in b.timeline if re.match(r"\d{4}-\d\d-\d\d$", te.date or "")]
    assert dated == sorted(dated)
    for te in reports:
        assert te.date == published[te.doc_id]["start"]
        assert {a: g for a, g in te.areas.items() if a in AREA_COLUMNS.values()} == published[te.doc_id]["grades"]
        text = svc.document(te.doc_id).text
        for area, cite in te.area_citations.items():  # each grade cites the words of the report that state it
            assert text[cite.start:cite.end].strip() == cite.text and te.areas[area] in cite.text.lower()


@pytest.mark.parametrize("council", ["Darlington", "Tameside"])
def test_changes_name_each_area_from_one_inspection_to_the_next(svc, published, council):
    b = svc.council_briefing(council)
    ids = sorted((r for r in RECORD_REPORTS if council.lower() in r), key=lambda r: published[r]["start"])
    last = b.grade_changes[-1]
    assert (last.from_docs, last.to_docs) == ([ids[0]], [ids[1]])
    before, after = published[ids[0]]["grades"], published[ids[1]]["grades"]
    assert {a.area for a in last.areas} == set(before) | set(after)
    for a in last.areas:
        assert (a.before, a.after) == (before.get(a.area), after.get(a.area))
        assert a.direction is _expected_direction(a.before, a.after)
        assert f"{a.area}:" in last.text()
    assert len(b.grade_changes) == len(b.inspections) - 1


def test_an_article_and_its_report_are_one_inspection_and_visits_are_not_graded_points():
    def entry(doc_id, when, kind, doc_type, **grades):
        return GradedEntry(when, kind, doc_id, doc_type,
                           {a.replace("_", " "): AreaMark(a.replace("_", " "), g, doc_id) for a, g in grades.items()})

    record = inspections([
        entry("article", "2015-09-01", "full inspection", "article", overall_effectiveness="inadequate"),
        entry("report", "2015-06-15", "full inspection", "report", overall_effectiveness="inadequate",
              care_leavers="good"),
        entry("letter", "2016-03-01", "monitoring visit", "report", overall_effectiveness="inadequate"),
        entry("undated", None, "full inspection", "article", overall_effectiveness="good"),
        entry("later", "2015-10-01", "full inspection", "article", overall_effectiveness="good"),
    ])
    assert [i.doc_ids for i in record] == [["report", "article"], ["later"]]  # a different grade: another one
    assert record[0].date == "2015-06-15" and record[0].grades == {"overall effectiveness": "inadequate",
                                                                   "care leavers": "good"}


def test_chart_plots_each_area_on_the_ordinal_grade_axis(svc, published):
    from summarizer.briefing.charts import AXIS_LABELS, png_bytes

    b = svc.council_briefing("Darlington")
    fig = svc.council_chart(b)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(AXIS_LABELS)
    lines = {ln.get_label(): ln for ln in ax.lines}
    assert set(lines) == {a for i in b.inspections for a in i.grades}
    rid = "80458_darlington_2026-03-24"
    want = published[rid]["grades"]["overall effectiveness"]
    level = round(lines["overall effectiveness"].get_ydata()[-1])
    assert AXIS_LABELS[level].split("\n")[0] == want
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert svc.council_chart(svc.council_briefing("Cornwall")) is None


def test_digest_latest_judgement_and_judgements_by_year(svc, published):
    d = svc.digest()
    rows = {r["council"]: r for r in d["councils"]}
    for council, rid in (("Darlington", "80458_darlington_2026-03-24"), ("Tameside", "80569_tameside_2024-02-13")):
        r = rows[council]
        assert (r["source"], r["date"]) == (rid, published[rid]["start"])
        assert r["judgement"] == published[rid]["grades"]["overall effectiveness"] and r["year"] == int(r["date"][:4])
    for rid in RECORD_REPORTS:
        year, grade = int(published[rid]["start"][:4]), published[rid]["grades"]["overall effectiveness"]
        assert d["by_year"][year][grade] >= 1
    records = [svc.council_briefing(c).inspections for c in rows]
    assert sum(sum(c.values()) for c in d["by_year"].values()) == sum(
        1 for rec in records for i in rec if "overall effectiveness" in i.grades)
    fig = svc.digest_chart(d)
    heights = sum(p.get_height() for p in fig.axes[0].patches)
    assert heights == sum(sum(c.values()) for c in d["by_year"].values())


def test_cli_json_carries_the_timeline_changes_and_years(svc, capsys):
    assert main(["council", "Darlington", "--index", str(svc.index_dir), "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert [i["doc_ids"][-1] for i in b["inspections"]][-2:] == list(RECORD_REPORTS[:2])
    assert b["grade_changes"][-1]["areas"][0]["direction"] in {d.value for d in Direction}
    assert all(te["areas"] for te in b["timeline"] if te["doc_type"] == "report")
    assert main(["digest", "--index", str(svc.index_dir), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["by_year"] and all(re.fullmatch(r"\d{4}", y) for y in d["by_year"])


def test_exports_hold_the_timeline_the_changes_table_and_the_chart(svc):
    md = svc.export("council", "md", "Darlington")
    assert "## Timeline" in md and "## What changed between inspections" in md
    table = md.split("## What changed between inspections")[1].split("\n\n")[1].splitlines()
    assert table[0] == "| From | To | Area | Before | After | Change |"
    b = svc.council_briefing("Darlington")
    assert len(table) - 2 == sum(len(c.areas) for c in b.grade_changes)
    page = svc.export("council", "html", "Darlington")
    assert page.count("src='data:image/png;base64,") == 1 and "<script" not in page
    text = {d.id: " ".join(d.text.split()) for d in svc.documents()}
    for m in re.finditer(r"\(([^,()]+), characters (\d+)–(\d+)\).*?<mark>(.*?)</mark>", page, re.S):
        assert " ".join(html.unescape(m.group(4)).split()) in text[html.unescape(m.group(1))]
    digest = svc.export("digest", "html")
    assert "Overall effectiveness judgements by year" in digest and "data:image/png;base64," in digest
    assert DARLINGTON in svc.export("council", "md", "Darlington")
