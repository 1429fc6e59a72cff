"""The Ofsted vocabulary: grade wordings and their normal forms, areas, months, years; the shared stemmer."""
from __future__ import annotations

import re
import threading

from retrieval.bm25 import stem_words, stemmer
from retrieval.ofsted import (AREA_WORDINGS, AREAS, GRADES, ILACS_GRADES, MONTHS, grade_pattern, month_name,
                              norm_grade, normalise_grade)


def test_grade_wordings_normalise_to_the_grades():
    rx = re.compile(r"\b(" + grade_pattern(loose=True) + r")\b", re.I)
    text = "rated Inadequate, then requires improvement to be good; needs improvement; outstanding; adequate"
    assert [normalise_grade(m.group(1)) for m in rx.finditer(text)] == [
        "inadequate", "requires improvement", "requires improvement", "outstanding", "adequate"]
    assert set(ILACS_GRADES) < set(GRADES)
    assert not re.search(grade_pattern(("good",)), "inadequate")


def test_published_grades_normalise():
    assert norm_grade(" Requires Improvement To Be Good ") == "requires improvement"
    assert norm_grade("inspection_pre_dates_judgement") is None and norm_grade("") is None and norm_grade(None) is None
    assert norm_grade("Good") == "good"


def test_areas_months():
    assert set(AREA_WORDINGS) == set(AREAS)
    assert MONTHS["sept"] == MONTHS["september"] == MONTHS["sep"] == 9 and MONTHS["may"] == 5
    assert month_name("Feb.") == "february" and month_name("Monday") is None


def test_stemmer_is_one_per_thread_and_agrees():
    got = []
    t = threading.Thread(target=lambda: got.append(stemmer()))
    t.start()
    t.join()
    assert got[0] is not stemmer()
    assert stem_words(["caseloads", "inspections"]) == ["caseload", "inspect"]
