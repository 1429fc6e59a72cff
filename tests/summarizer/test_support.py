"""The one exact support check: its typed result, reason codes, and the parameters each caller uses."""
from __future__ import annotations

from summarizer.support import Reason, SourceFacts, check_claim, check_support

SOURCE = ("Ofsted rated Darlington Borough Council's children's services inadequate in February 2019. "
          "Inspectors found that 94 assessments had not been completed within timescales.")


def test_reasons_are_typed_and_ordered():
    chk = check_claim("Jane Smith said 49 assessments were outstanding.", SOURCE, min_coverage=0.9)
    assert chk.reasons == [Reason.NUMBER, Reason.GRADE, Reason.NAME, Reason.COVERAGE]
    assert not chk.supported and chk.hard_fail
    assert chk.missing_numbers == ["49"] and chk.missing_grades == ["outstanding"] and chk.missing_names == ["Jane Smith"]
    assert chk.flags == ["number", "grade", "name"]


def test_supported_claim_has_no_reason():
    chk = check_support("Inspectors found 94 assessments had not been completed.", SOURCE)
    assert chk.supported and chk.reasons == [] and chk.coverage == 1.0


def test_dates_and_contradictions_are_opt_in():
    claim = "Inspectors found that 94 assessments had been completed within timescales in March 2019."
    plain = check_claim(claim, SOURCE)
    assert Reason.DATE not in plain.reasons and Reason.NEGATION not in plain.reasons
    full = check_claim(claim, SourceFacts(SOURCE), check_dates=True, check_contradictions=True, check_grades=False)
    assert full.missing_dates == ["march"] and full.negation_flip and "March" not in full.missing_names
    assert full.reasons == [Reason.DATE, Reason.NEGATION]


def test_names_can_be_looked_up_elsewhere():
    chk = check_claim("Suzanne Joyner spoke.", "no names here", names_source="Suzanne Joyner, the director",
                      claim_names=["Suzanne Joyner"])
    assert chk.missing_names == []
