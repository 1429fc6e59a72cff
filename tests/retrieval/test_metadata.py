"""Tests for retrieval.metadata on the seed articles, report PDFs and the graded Ofsted reports."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

from retrieval.cleaning import clean_text
from retrieval.loaders import load_paths
from retrieval.metadata import extract_metadata, inspection_dates, normalise_grade
from retrieval.records import DocMeta, Document

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = CORPUS / "seeds"
OFSTED = CORPUS / "ofsted"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

CSV_AREAS = {
    "overall_effectiveness": "overall effectiveness",
    "impact_of_leaders": "impact of leaders",
    "help_and_protection": "help and protection",
    "in_care": "children in care",
    "care_leavers": "care leavers",
}


def meta_for(doc: Document) -> DocMeta:
    return extract_metadata(doc, clean_text(doc.text))


@lru_cache(maxsize=None)
def seed_doc(prefix: str) -> Document:
    docs, _ = load_paths(sorted(SEEDS.glob(f"{prefix}_*.txt")))
    return docs[0]


@lru_cache(maxsize=1)
def report_docs() -> dict[str, Document]:
    docs, issues = load_paths([OFSTED / "reports.jsonl"])
    assert issues == []
    return {d.id: d for d in docs}


def area_grades(meta: DocMeta) -> dict[str, str]:
    """First grade per area (the judgement table comes first)."""
    out: dict[str, str] = {}
    for j in meta.judgements:
        if j.area and j.area not in out:
            out[j.area] = j.grade
    return out


# --------------------------------------------------------------------------- seed articles


@needs_corpus
def test_seed_004_councils_kind_and_judgements():
    doc = seed_doc("004")
    meta = meta_for(doc)
    assert meta.councils == ["Tameside", "North Tyneside", "Redbridge"]
    assert meta.doc_type == "article"
    assert meta.inspection_kind == "focused visit"
    got = {(j.council, j.grade) for j in meta.judgements}
    assert {("Tameside", "inadequate"), ("North Tyneside", "outstanding"), ("Redbridge", "outstanding")} <= got
    for j in meta.judgements:
        assert doc.text[j.start:j.end].lower() in ("inadequate", "outstanding", "needs improvement")
    assert 2016 in meta.years and 2019 in meta.years


@needs_corpus
def test_darlington_seed_judgements_exclude_the_reader_comment():
    doc = seed_doc("003")
    clean = clean_text(doc.text)
    meta = extract_metadata(doc, clean)
    assert meta.councils == ["Darlington"]
    assert meta.inspection_kind == "full inspection"
    inadequate = [j for j in meta.judgements if j.grade == "inadequate" and j.council == "Darlington"]
    assert inadequate
    first = inadequate[0]
    assert doc.text[first.start:first.end] == "inadequate"
    assert "rated the authority ‘inadequate’" in doc.text[first.start - 30:first.end + 1]
    assert {(j.area, j.grade) for j in meta.judgements if j.area} == {("care leavers", "good"),
                                                                      ("adoption performance", "good")}
    comment_from = clean.original_span(clean.comment_start, len(clean.text))[0]
    assert all(j.end <= comment_from for j in meta.judgements)


@needs_corpus
def test_torbay_seed_records_old_adequate_grade():
    meta = meta_for(seed_doc("000"))
    assert meta.councils == ["Torbay"]
    assert [j.grade for j in meta.judgements] == ["inadequate", "adequate", "inadequate"]
    assert all(j.council == "Torbay" for j in meta.judgements)
    assert meta.years == [2010, 2013]


@needs_corpus
def test_good_practice_is_not_a_judgement_and_monitoring_visits_recognised():
    meta = meta_for(seed_doc("001"))
    assert meta.judgements == []  # "good examples" is not a grade
    assert meta.inspection_kind == "monitoring visit"
    meta2 = meta_for(seed_doc("002"))
    assert meta2.inspection_kind == "monitoring visit"
    assert meta2.councils[0] == "Worcestershire"
    assert {j.grade for j in meta2.judgements} == {"inadequate"}


def test_hand_made_article_judgements():
    text = ("Ofsted found good practice in Bury and some good examples of direct work.\n"
            "Bury council was rated good in 2019, while Wigan was judged to be ‘outstanding’.\n"
            "Its overall effectiveness: Requires improvement to be good.\n")
    doc = Document(id="x", text=text)
    meta = meta_for(doc)
    assert meta.councils == ["Bury", "Wigan"]
    assert [(j.council, j.grade) for j in meta.judgements] == [
        ("Bury", "good"), ("Wigan", "outstanding"), ("Wigan", "requires improvement")]
    assert meta.judgements[-1].area == "overall effectiveness"
    assert meta.years == [2019]


# --------------------------------------------------------------------------- reports


@needs_corpus
def test_darlington_2015_pdf_judgement_table():
    docs, issues = load_paths([OFSTED / "pdf" / "80458_darlington_01-september-2015.pdf"])
    assert issues == []
    meta = meta_for(docs[0])
    assert meta.doc_type == "report"
    assert meta.councils[0] == "Darlington"
    assert meta.inspection_kind == "full inspection"
    assert meta.inspection_dates == ["2015-06-23", "2015-07-16"]
    grades = area_grades(meta)
    assert grades["overall effectiveness"] == "inadequate"
    assert grades["help and protection"] == "inadequate"
    assert grades["children in care"] == "requires improvement"
    assert grades["adoption performance"] == "good"
    assert grades["care leavers"] == "good"
    assert grades["impact of leaders"] == "inadequate"
    overall = next(j for j in meta.judgements if j.area == "overall effectiveness")
    assert overall.council == "Darlington"
    assert docs[0].text[overall.start:overall.end].endswith("are inadequate")


@needs_corpus
def test_report_main_council_comes_from_local_authority_field():
    doc = report_docs()["80569_tameside_2019-07-01"]
    meta = meta_for(doc)
    assert meta.councils[0] == "Tameside"
    assert meta.doc_type == "report"
    assert meta.inspection_dates == ["2019-05-13", "2019-05-24"]


@needs_corpus
def test_grade_accuracy_against_grades_csv():
    docs = report_docs()
    with (OFSTED / "grades.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 185
    correct = {a: 0 for a in CSV_AREAS.values()}
    dates_ok = dates_total = 0
    for row in rows:
        meta = meta_for(docs[row["id"]])
        assert meta.doc_type == "report", row["id"]
        grades = area_grades(meta)
        for col, area in CSV_AREAS.items():
            want = None if row[col] == "inspection_pre_dates_judgement" else normalise_grade(row[col])
            correct[area] += grades.get(area) == want
        if row["inspection_start_date"]:
            dates_total += 1
            want_dates = ["-".join(reversed(row[k].split("/"))) for k in ("inspection_start_date",
                                                                          "inspection_end_date")]
            dates_ok += meta.inspection_dates == want_dates
    accuracy = {area: n / len(rows) for area, n in correct.items()}
    print("\ngrade accuracy vs grades.csv:", {a: f"{v:.3f}" for a, v in accuracy.items()},
          f"inspection dates {dates_ok}/{dates_total}")
    assert accuracy["overall effectiveness"] >= 0.98
    assert min(accuracy.values()) >= 0.95
    assert dates_ok / dates_total >= 0.95


def test_inspection_dates_formats():
    assert inspection_dates("Inspection dates: 13 May 2019 to 24 May 2019\n") == ["2019-05-13", "2019-05-24"]
    assert inspection_dates("Inspection dates: 27 September to 8 October 2021") == ["2021-09-27", "2021-10-08"]
    assert inspection_dates("Inspection date: 8 – 12 July 2013") == ["2013-07-08", "2013-07-12"]
    assert inspection_dates("Inspection dates: 7 to 18 October 2024") == ["2024-10-07", "2024-10-18"]
    assert inspection_dates("Inspection dates: 9 December to 20 January 2020") == ["2019-12-09", "2020-01-20"]
    assert inspection_dates("Inspection date: 01/12/2016 – 05/12/2016") == ["2016-12-01", "2016-12-05"]
    assert inspection_dates("No dates here") == []


def test_normalise_grade():
    assert normalise_grade("Requires improvement to be good") == "requires improvement"
    assert normalise_grade("Require  improvement") == "requires improvement"
    assert normalise_grade("Adequate") == "adequate"
    assert normalise_grade("Outstanding") == "outstanding"
