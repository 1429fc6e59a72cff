"""The per-type and blind/not-blind breakdown of the QA eval on fake records (no model, no index): council-list
precision and recall, group metrics equal hand-computed values, and the JSON, text table and report carry them."""
from __future__ import annotations

import json

import pytest

from eval.qa.compare import compare_results
from eval.qa.formatting import format_summary
from eval.qa.groups import by_blind, council_scores, group_metrics
from eval.qa.loading import QAFileError, QAItem, load_qa
from eval.qa.metrics import score_item, summarise
from eval.qa.report import write_report
from summarizer.answer.records import Answer


def item(id, type, facts=(), answerable=True, **kw) -> QAItem:
    return QAItem(id=id, question=kw.pop("question", f"Question {id}?"), answerable=answerable,
                  docs=["D"] if answerable else [], facts=[list(g) for g in facts], type=type, **kw)


def answer(text, seconds, refused=False) -> Answer:
    return Answer("", "not_in_articles" if refused else "answered", text, timings={"total_s": seconds})


def claims(*supported: bool) -> list[dict]:
    return [{"claim": f"claim {i}", "citations": [1], "supported": s, "cited_supported": s, "citation_supports": [s],
             "score": 1.0 if s else 0.0, "flags": [], "closest": ""} for i, s in enumerate(supported)]


# (item, answer, checked claims or None)
CASES = [
    (item("w1", "why", [["lost focus"], ["caseload"], ["oversight"], ["delay"]], blind=True),
     answer("Leaders lost focus and caseloads were high.", 2.0), claims(True, False)),
    (item("w2", "why", [["94"], ["grip"]]), answer("94 assessments were late; managers lacked grip.", 4.0), claims(True)),
    (item("c1", "councils", [["Hampshire"], ["Barnet"]], councils=["Hampshire", "Barnet"], blind=True,
          question="Which councils did Ofsted inspect in June 2024, besides Kent?"),
     answer("Hampshire was inspected, as were Kent and Redbridge.", 6.0), None),
    (item("c2", "councils", [["Kent"], ["Torbay"]], councils=["Kent", "Torbay"]),
     answer("The reports don't say.", 1.0, refused=True), None),
    (item("p1", "partial", [["Ledder"]], absent="which council is the LADO"),
     answer("Tracey Ledder led it; the report does not name the LADO council.", 3.0), None),
    (item("u1", "unanswerable", answerable=False, blind=True), answer("The reports don't say.", 1.0, refused=True), None),
    (item("u2", "unanswerable", answerable=False), answer("It was rated good.", 5.0), None),
]


@pytest.fixture()
def records() -> list[dict]:
    return [score_item(it, ans, ["D"], cl) for it, ans, cl in CASES]


def test_council_scores_count_named_councils_but_not_those_of_the_question():
    s = council_scores("Hampshire was inspected, as were Kent and Redbridge.", False, ["Hampshire", "Barnet"],
                       "Which councils did Ofsted inspect in June 2024, besides Kent?")
    assert s == {"councils_expected": ["Barnet", "Hampshire"], "councils_named": ["Hampshire", "Redbridge"],
                 "council_precision": 0.5, "council_recall": 0.5}
    both = council_scores("Cumbria was replaced by Cumberland and Westmorland and Furness.", False,
                          ["Cumberland", "Westmorland & Furness"], "Which councils replaced Cumbria?")
    assert both["council_precision"] == 1.0 and both["council_recall"] == 1.0
    refused = council_scores("Hampshire is not covered.", True, ["Hampshire"], "Which councils?")
    assert refused["councils_named"] == [] and refused["council_precision"] is None and refused["council_recall"] == 0.0


def test_records_carry_blind_councils_and_absent(records):
    by_id = {r["id"]: r for r in records}
    assert by_id["w1"]["blind"] is True and by_id["w2"]["blind"] is False
    assert by_id["c1"]["council_precision"] == 0.5 and by_id["c1"]["councils_named"] == ["Hampshire", "Redbridge"]
    assert by_id["c2"]["council_recall"] == 0.0 and by_id["c2"]["false_refusal"] is True
    assert by_id["p1"]["absent"] == "which council is the LADO" and by_id["p1"]["facts_all"] is True
    assert "council_precision" not in by_id["w1"] and "absent" not in by_id["w1"]


def test_by_type_equals_hand_computed(records):
    s = summarise(records)
    t = s["by_type"]
    assert list(t) == ["councils", "partial", "unanswerable", "why"]
    assert t["why"] == {"n": 2, "recall@5": 1.0, "key_facts_partial": 0.75, "key_facts_correct": 0.5,
                        "false_refusals": 0, "refusal_accuracy": None, "faithfulness": 0.75,
                        "council_precision": None, "council_recall": None, "total_s_p50": 3.0}
    assert t["councils"]["key_facts_partial"] == 0.25  # c1 one of two, c2 refused
    assert t["councils"]["false_refusals"] == 1
    assert t["councils"]["council_precision"] == 0.5  # c2 named no council
    assert t["councils"]["council_recall"] == 0.25  # (0.5 + 0) / 2
    assert t["councils"]["total_s_p50"] == 3.5
    assert t["unanswerable"]["refusal_accuracy"] == 0.5 and t["unanswerable"]["key_facts_partial"] is None
    assert t["partial"]["key_facts_partial"] == 1.0 and t["partial"]["false_refusals"] == 0


def test_by_blind_equals_hand_computed(records):
    b = summarise(records)["by_blind"]
    assert list(b) == ["blind", "not_blind"]
    assert b["blind"]["n"] == 3 and b["not_blind"]["n"] == 4
    assert b["blind"]["key_facts_partial"] == 0.5  # w1 2/4, c1 1/2
    assert b["not_blind"]["key_facts_partial"] == pytest.approx(0.6667)  # w2 1, c2 0, p1 1
    assert b["blind"]["refusal_accuracy"] == 1.0 and b["not_blind"]["refusal_accuracy"] == 0.0
    assert b["blind"]["false_refusals"] == 0 and b["not_blind"]["false_refusals"] == 1
    assert b["blind"]["council_precision"] == 0.5 and b["not_blind"]["council_precision"] is None
    assert b["not_blind"]["council_recall"] == 0.0
    assert b["blind"]["faithfulness"] == 0.5 and b["not_blind"]["faithfulness"] == 1.0
    assert b["blind"]["total_s_p50"] == 2.0 and b["not_blind"]["total_s_p50"] == 3.5


def test_group_metrics_of_old_records_without_the_new_fields():
    """Runs stored before blind/councils existed still group: every question is not blind, no council scores."""
    old = [{"type": "single", "answerable": True, "refusal_correct": True, "facts_found": 1, "facts_total": 2,
            "facts_all": False, "recall@5": 1.0, "timings": {}}]
    g = group_metrics(old, with_faithfulness=False)
    assert g["n"] == 1 and g["key_facts_partial"] == 0.5 and g["false_refusals"] == 0
    assert g["council_recall"] is None and g["total_s_p50"] is None and "faithfulness" not in g
    assert list(by_blind(old, with_faithfulness=False)) == ["not_blind"]


def test_json_text_table_report_and_compare_carry_the_groups(records, tmp_path):
    result = {"file": "qa.jsonl", "summary": summarise(records), "items": records, "model": "fake"}
    back = json.loads(json.dumps(result))
    assert back["summary"]["by_type"]["councils"]["council_recall"] == 0.25
    assert back["summary"]["by_blind"]["blind"]["n"] == 3
    text = format_summary(result)
    header = next(line for line in text.splitlines() if line.strip().startswith("type "))
    for head in ("n", "key facts", "false refusals", "refusal acc", "faithful", "council P", "council R", "p50 s"):
        assert head in header, head
    row = next(line for line in text.splitlines() if line.strip().startswith("councils "))
    assert row.split()[1] == "2" and "0.25" in row
    assert any(line.strip().startswith("not_blind ") for line in text.splitlines())
    md, _ = write_report(tmp_path, result)
    report = md.read_text()
    assert "## By question type" in report and "## Blind and not-blind questions" in report
    assert "| not_blind | 4 |" in report
    other = {**result, "summary": summarise(records[:3])}
    flat = {m["metric"]: m for m in compare_results(other, result)["metrics"]}
    assert flat["by_blind.not_blind.false_refusals"]["change"] in ("new", "regressed")
    assert flat["why.key_facts_partial"]["change"] == "same"


def test_loading_accepts_the_new_optional_fields(tmp_path):
    p = tmp_path / "qa.jsonl"
    rows = [{"id": "a", "question": "Which councils?", "answerable": True, "docs": ["D"], "facts": [["Kent"]],
             "type": "councils", "councils": ["Kent"], "blind": True},
            {"id": "b", "question": "Who and what?", "answerable": True, "docs": ["D"], "facts": [["Bell"]],
             "type": "partial", "absent": "the vacancy rate"},
            {"id": "c", "question": "Old?", "answerable": False, "docs": [], "facts": []}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a, b, c = load_qa(p)
    assert a.councils == ["Kent"] and a.blind is True and a.absent == ""
    assert b.absent == "the vacancy rate" and b.councils == [] and b.blind is False
    assert c.type == "unanswerable" and c.blind is False
    p.write_text(json.dumps({**rows[0], "blind": "yes"}) + "\n")
    with pytest.raises(QAFileError, match="blind"):
        load_qa(p)
    p.write_text(json.dumps({**rows[0], "councils": "Kent"}) + "\n")
    with pytest.raises(QAFileError, match="councils"):
        load_qa(p)
