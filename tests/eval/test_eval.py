"""The QA eval harness on a tiny hand-made set with a fake service and a fake checker (no model, no index):
metrics equal hand-computed values; runs are stored, reported, resumed after an interruption and compared."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from eval.qa.run import (claim_metrics, compare_runs, extractive_answer, load_run, reciprocal_rank, recall_at,
                     run_qa_eval, format_summary)
from summarizer.answer.records import Answer, AnswerSentence, Passage

QA = [
    {"id": "q1", "question": "How many assessments were late in Darlington?", "answerable": True, "docs": ["A"],
     "facts": [["94"], ["timescales"]], "type": "single"},
    {"id": "q2", "question": "Which councils were rated inadequate?", "answerable": True, "docs": ["A", "B"],
     "facts": [["inadequate"]], "type": "multi"},
    {"id": "q3", "question": "What did Ofsted say about Leeds?", "answerable": False, "docs": [], "facts": [], "type": "unanswerable"},
    {"id": "q4", "question": "Who runs Slough's services?", "answerable": False, "docs": [], "facts": [], "type": "unanswerable"},
    {"id": "q5", "question": "When did Torbay improve?", "answerable": True, "docs": ["A"], "facts": [["2019"]], "type": "single"},
]
# retrieval: the article of each ranked passage, per retriever
HYBRID = {"q1": ["A", "B", "C"], "q2": ["C", "A", "D", "B"], "q3": ["C"], "q4": [], "q5": ["E"]}
DENSE = {"q1": ["B", "A"], "q2": ["A", "B"], "q3": [], "q4": [], "q5": ["E", "A"]}
BM25 = {"q1": ["C", "B", "A"], "q2": [], "q3": [], "q4": [], "q5": []}
TOP_TEXT = {"q1": "Background. Inspectors found 94 assessments late, outside timescales.", "q2": "Nothing relevant here.",
            "q3": "Ofsted praised the council.", "q5": "Something else."}


def P(n, doc, text):
    return Passage(n, doc, f"{doc}#{n}", f"Article {doc}", text, 0, len(text))


def S(text, cites):
    return AnswerSentence(text, cites, True)


ANSWERS = {
    "q1": Answer("", "answered", "Inspectors found 94 assessments late [1]. The council hired Jane Smith [2].",
                 [S("Inspectors found 94 assessments late.", [1]), S("The council hired Jane Smith.", [2])], [],
                 [P(1, "A", "Inspectors found 94 assessments late in Darlington."), P(2, "B", "The council hired new staff.")]),
    "q2": Answer("", "answered", "Torbay was rated inadequate [1, 2].", [S("Torbay was rated inadequate.", [1, 2])], [],
                 [P(1, "A", "Torbay was rated inadequate."), P(2, "B", "Darlington was rated inadequate.")]),
    "q3": Answer("", "answered", "Ofsted praised the council [1].", [S("Ofsted praised the council.", [1])], [],
                 [P(1, "C", "Ofsted praised the council.")]),
    "q4": Answer("", "not_in_articles", "The articles don't say."),
    "q5": Answer("", "not_in_articles", "The articles don't say.", passages=[P(1, "E", "Something else.")]),
}


def _hits(docs, qid):
    return [SimpleNamespace(chunk=SimpleNamespace(doc_id=d, text=TOP_TEXT.get(qid, "") if i == 0 else "x")) for i, d in enumerate(docs)]


class FakeService:
    def __init__(self, interrupt_at: str | None = None) -> None:
        self.asked: list[str] = []
        self.interrupt_at = interrupt_at
        self.llm = SimpleNamespace(model_id="fake-model")
        self.settings = {"fake": True}
        qid = self._qid
        self.retriever = SimpleNamespace(dense_only=lambda q, k: _hits(DENSE[qid(q)], None)[:k],
                                         bm25_only=lambda q, k: _hits(BM25[qid(q)], None)[:k])

    @staticmethod
    def _qid(q: str) -> str:
        return next(d["id"] for d in QA if d["question"] == q)

    def search(self, q, k=5, filters=None):
        return SimpleNamespace(hits=_hits(HYBRID[self._qid(q)], self._qid(q))[:k])

    def ask(self, q, filters=None):
        qid = self._qid(q)
        if qid == self.interrupt_at:
            raise KeyboardInterrupt
        self.asked.append(qid)
        return ANSWERS[qid]


class FakeChecker:
    """Supported when every word of 4+ letters of the claim occurs in the source."""

    model_id = "fake-checker"

    def describe(self) -> dict:
        return {"model": self.model_id, "fake": True}

    def __init__(self) -> None:
        self.calls = 0

    def check_many(self, pairs):
        out = []
        for claim, source in pairs:
            self.calls += 1
            ok = all(w in source.lower() for w in re.findall(r"[a-z]{4,}", claim.lower()))
            out.append(SimpleNamespace(supported=ok, score=1.0 if ok else 0.0, p_llm=None, flags=[], closest=""))
        return out

    def stats(self):
        return {"llm_calls": 0, "llm_seconds": 0.0, "cache_hits": 0, "cache_misses": 0}


@pytest.fixture()
def qa_file(tmp_path):
    p = tmp_path / "qa.jsonl"
    p.write_text("\n".join(json.dumps(d) for d in QA) + "\n")
    return p


def test_basic_metrics():
    assert recall_at(["A", "C", "B"], ["A", "B"], 2) == 0.5
    assert recall_at(["A", "C", "B"], ["A", "B"], 3) == 1.0
    assert reciprocal_rank(["C", "D", "B"], ["A", "B"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(["C"], ["A"]) == 0.0
    assert extractive_answer("How many assessments were late?", "Background text. Inspectors found 94 assessments late. Other.", 1) \
        == "Inspectors found 94 assessments late."
    claims = [{"supported": True, "cited_supported": True, "citation_supports": [True, False]},
              {"supported": True, "cited_supported": False, "citation_supports": [False]},
              {"supported": False, "cited_supported": False, "citation_supports": []}]
    m = claim_metrics(claims)
    assert m["faithfulness"] == pytest.approx(2 / 3)
    assert m["citation_precision"] == pytest.approx(1 / 3)
    assert m["citation_recall"] == pytest.approx(1 / 2)
    assert claim_metrics([])["faithfulness"] is None


def test_summary_equals_hand_computed(qa_file, tmp_path):
    r = run_qa_eval(FakeService(), qa_file, progress=False, checker=FakeChecker(), run_dir=tmp_path / "run")
    s = r["summary"]
    assert s["questions"] == 5 and s["answerable"] == 3 and s["unanswerable"] == 2
    assert s["recall@5"] == pytest.approx(0.6667, abs=1e-4)  # q1 1, q2 1, q5 0
    assert s["key_facts_correct"] == pytest.approx(0.3333, abs=1e-4)  # only q2
    assert s["key_facts_partial"] == pytest.approx((0.5 + 1 + 0) / 3, abs=1e-4)
    assert s["refusal_accuracy"] == 0.5 and s["false_refusal_rate"] == pytest.approx(0.3333, abs=1e-4)
    assert s["false_refusals"] == 1 and s["hallucinated_answers"] == 1
    # claims: q1 (1 of 2 supported), q2 (1 of 1), q3 (1 of 1)
    assert s["faithfulness"] == pytest.approx((0.5 + 1 + 1) / 3, abs=1e-4)
    assert s["claims_checked"] == 4 and s["claims_supported_share"] == 0.75
    assert s["citation_precision"] == pytest.approx(3 / 5)  # q1 [yes, no], q2 [yes, no], q3 [yes]
    assert s["citation_recall"] == 1.0
    ret = s["retrieval"]
    assert ret["hybrid"]["recall@1"] == pytest.approx(1 / 3, abs=1e-4)  # q1 1, q2 0, q5 0
    assert ret["hybrid"]["recall@2"] == pytest.approx(0.5, abs=1e-4)  # q1 1, q2 .5, q5 0
    assert ret["hybrid"]["mrr"] == pytest.approx(0.5, abs=1e-4)  # 1, 1/2, 0
    assert ret["dense"]["mrr"] == pytest.approx((0.5 + 1 + 0.5) / 3, abs=1e-4)
    assert ret["dense"]["recall@1"] == pytest.approx((0 + 0.5 + 0) / 3, abs=1e-4)
    assert ret["bm25"]["recall@10"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["extractive_baseline"]["key_facts_correct"] == pytest.approx(1 / 3, abs=1e-4)  # q1's top passage has both facts
    assert s["by_type"]["multi"]["faithfulness"] == 1.0
    # stored run: settings, items, result, reports and plots
    run = tmp_path / "run"
    for f in ("settings.json", "items.jsonl", "result.json", "report.md", "report.html", "recall_at_k.png", "faithfulness.png"):
        assert (run / f).is_file(), f
    assert json.loads((run / "settings.json").read_text())["model"] == "fake-model"
    assert "Jane Smith" in (run / "report.md").read_text()
    assert "faithfulness" in format_summary(r)


def test_resume_after_interruption(qa_file, tmp_path):
    run = tmp_path / "run"
    svc = FakeService(interrupt_at="q3")
    with pytest.raises(KeyboardInterrupt):
        run_qa_eval(svc, qa_file, progress=False, checker=FakeChecker(), run_dir=run)
    assert svc.asked == ["q1", "q2"]
    assert len((run / "items.jsonl").read_text().splitlines()) == 2
    with (run / "items.jsonl").open("a") as f:
        f.write('{"id": "q3", "quest')  # a line cut short by the interruption
    svc2 = FakeService()
    r = run_qa_eval(svc2, qa_file, progress=False, checker=FakeChecker(), run_dir=run, resume=True)
    assert svc2.asked == ["q3", "q4", "q5"] and r["resumed_items"] == 2
    full = run_qa_eval(FakeService(), qa_file, progress=False, checker=FakeChecker(), run_dir=tmp_path / "full")
    assert r["summary"] == full["summary"]
    assert [x["id"] for x in r["items"]] == [d["id"] for d in QA]


def test_resume_refuses_another_qa_file(qa_file, tmp_path):
    run = tmp_path / "run"
    run_qa_eval(FakeService(), qa_file, limit=1, progress=False, checker=FakeChecker(), run_dir=run)
    other = tmp_path / "other.jsonl"
    other.write_text(qa_file.read_text().replace("Leeds", "York"))
    with pytest.raises(ValueError):
        run_qa_eval(FakeService(), other, progress=False, checker=FakeChecker(), run_dir=run, resume=True)


def test_compare_runs_and_cli(qa_file, tmp_path, capsys):
    a = run_qa_eval(FakeService(), qa_file, progress=False, checker=FakeChecker(), run_dir=tmp_path / "a")
    better = dict(ANSWERS)
    ANSWERS["q5"] = Answer("", "answered", "Torbay improved in 2019 [1].", [S("Torbay improved in 2019.", [1])], [],
                           [P(1, "E", "Torbay improved in 2019.")])
    try:
        b = run_qa_eval(FakeService(), qa_file, progress=False, checker=FakeChecker(), run_dir=tmp_path / "b")
    finally:
        ANSWERS.clear()
        ANSWERS.update(better)
    c = compare_runs(load_run(tmp_path / "a"), load_run(tmp_path / "b"))
    m = {x["metric"]: x for x in c["metrics"]}
    assert m["key_facts_correct"]["change"] == "improved"
    assert m["false_refusals"]["change"] == "improved" and m["false_refusals"]["delta"] == -1
    assert {(i["id"], i["what"]) for i in c["items"] if i["change"] == "improved"} >= {("q5", "facts_all"), ("q5", "refusal_correct")}
    assert a["summary"]["key_facts_correct"] < b["summary"]["key_facts_correct"]
    from ui.cli import main

    assert main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "key_facts_correct" in out and "improved" in out


def test_no_checker_keeps_the_old_fields(qa_file):
    r = run_qa_eval(FakeService(), qa_file, progress=False, use_checker=False, baselines=False)
    s = r["summary"]
    assert "faithfulness" not in s and "retrieval" not in s
    for k in ("recall@5", "key_facts_correct", "refusal_accuracy", "citation_validity", "by_type"):
        assert k in s


@pytest.mark.model
def test_eval_over_freshly_ingested_unseen_article(index_copy, tmp_path):
    """`brief eval --qa` over an article the index has never seen, after ingesting it, end to end."""
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    art = tmp_path / "articles" / "unseen_wigan_2030.txt"
    art.parent.mkdir()
    art.write_text("Wigan children's services rated outstanding\n\n"
                   "Ofsted inspectors rated Wigan Council's children's services outstanding in an inspection in June 2030. "
                   "Inspectors praised the council's 312 foster carers and said leaders knew their services well.\n")
    svc = BriefService(Settings.from_env(index_copy))
    svc.ingest([art])
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "w1", "question": "How many foster carers does Wigan Council have?", "answerable": True,
                              "docs": ["unseen_wigan_2030"], "facts": [["312"]]}) + "\n")
    r = run_qa_eval(svc, qa, progress=False, run_dir=tmp_path / "run")
    item = r["items"][0]
    assert item["recall@5"] == 1.0 and item["retrieval"]["hybrid"]["mrr"] > 0
    assert (tmp_path / "run" / "report.html").is_file()
    if item["status"] == "answered":
        assert item["claims"] and item["faithfulness"] is not None


def test_comment_attribution_is_flagged():
    """A sentence built from a reader's comment (not the cited passage) is counted; one from the article is not."""
    from eval.qa.run import comment_attributions

    comments = {"D": ["When will Ofsted impose financial penalties on councils that keep failing children?"]}
    bad = Answer("", "answered", "x", [S("Ofsted will impose financial penalties on failing councils.", [1])], [],
                 [P(1, "D", "Darlington was rated inadequate by inspectors.")])
    good = Answer("", "answered", "x", [S("Darlington was rated inadequate by inspectors.", [1])], [],
                  [P(1, "D", "Darlington was rated inadequate by inspectors.")])
    found = comment_attributions(bad, comments)
    assert len(found) == 1 and found[0]["doc_id"] == "D"
    assert comment_attributions(good, comments) == []
    assert comment_attributions(Answer("", "not_in_articles", "The articles don't say."), comments) == []


def test_wrong_alternatives_and_council_baseline(tmp_path):
    """An answer naming a listed wrong grade is not correct even when it contains the right one; the council-filter
    baseline answers each question a second time with the filter off and is summarised beside the main answer."""
    from eval.qa.run import format_summary

    qa = tmp_path / "g.jsonl"
    qa.write_text(json.dumps({"id": "q1", "question": "How many assessments were late in Darlington?", "answerable": True,
                              "docs": ["A"], "facts": [["94"]], "wrong": ["Jane Smith"]}) + "\n"
                  + json.dumps(QA[2]) + "\n")

    class Svc(FakeService):
        def ask(self, q, filters=None):
            self.asked.append((self._qid(q), getattr(filters, "councils_from_query", True)))
            if filters is not None and not filters.councils_from_query:  # unfiltered: answers the unanswerable
                return ANSWERS["q3"] if self._qid(q) == "q3" else ANSWERS["q4"]
            return ANSWERS[self._qid(q)]

    svc = Svc()
    r = run_qa_eval(svc, qa, progress=False, use_checker=False, council_baseline=True)
    s = r["summary"]
    q1 = r["items"][0]
    assert q1["facts_found"] == 1 and q1["says_wrong"] and not q1["facts_all"]
    assert s["wrong_answers"] == 1
    b = s["no_council_filter_baseline"]
    assert b["questions"] == 2 and b["false_refusals"] == 1 and b["hallucinated_answers"] == 1
    assert b["with_filter_refusal_accuracy"] == 0.0  # q3's main answer is also a hallucination in this fake
    assert ("q1", False) in svc.asked and ("q1", True) in svc.asked
    assert "without the council filter" in format_summary(r)


def test_generated_grade_questions():
    """Questions generated from grades.csv name the council, area and month of the inspection, and carry the grade;
    unanswerable ones ask about a year with no report of that council."""
    from eval.grade_questions import grade_items

    rows = [{"id": "1_tameside_2019-07-01", "local_authority": "tameside", "inspection_start_date": "13/05/2019",
             "overall_effectiveness": "requires improvement", "impact_of_leaders": "good", "help_and_protection": "",
             "in_care": "inadequate", "care_leavers": "inspection_pre_dates_judgement"},
            {"id": "2_halton_2020-04-15", "local_authority": "halton", "inspection_start_date": "02/03/2020",
             "overall_effectiveness": "good", "impact_of_leaders": "good", "help_and_protection": "good",
             "in_care": "good", "care_leavers": "outstanding"}]
    items = grade_items(rows, 3, seed=1, unanswerable_share=0.34, all_report_ids=["9_halton_2017-01-01"])
    ans = [i for i in items if i["answerable"]]
    una = [i for i in items if not i["answerable"]]
    assert len(ans) == 2 and len(una) == 1
    t = next(i for i in ans if i["docs"] == ["1_tameside_2019-07-01"])
    assert "Tameside" in t["question"] and "May 2019" in t["question"]
    gold = t["facts"][0][0]
    assert gold in ("requires improvement", "good", "inadequate") and gold not in t["wrong"]
    year = int(re.search(r"(\d{4}) inspection", una[0]["question"]).group(1))
    taken = {2019} if "Tameside" in una[0]["question"] else {2020, 2017}
    assert all(abs(year - y) > 1 for y in taken)


def test_summary_items_faithfulness_with_fake_checker():
    """Every kept summary statement is judged against its own evidence; unsupported ones are listed by field."""
    from eval.summaries_eval import faithfulness_eval
    from summarizer.summaries.schema import ArticleSummary, CouncilEntry, Item, Span

    text = "Inspectors found 94 assessments were late. Leaders recruited social workers."
    ev1 = Span(start=0, end=42, text=text[0:42])
    ev2 = Span(start=43, end=len(text), text=text[43:])
    rec = ArticleSummary(doc_id="A", content_hash="h", model_id="m", councils=[CouncilEntry(
        council="Darlington", weaknesses=[Item(text="94 assessments were late", evidence=[ev1])],
        strengths=[Item(text="Leaders praised foster carers", evidence=[ev2])])])
    r = faithfulness_eval([rec], FakeChecker())
    assert r["items"] == 2 and r["supported"] == 1 and r["faithfulness"] == 0.5
    assert r["by_field"]["strengths"] == {"n": 1, "supported": 0}
    assert r["unsupported"][0]["field"] == "strengths"


def test_cli_eval_summaries_without_the_model(index_copy, tmp_path, capsys):
    """`brief eval --summaries --no-checker` over an index with no summaries says what to run, scores the report
    grades it can, and stores the result."""
    from ui.cli import main

    rc = main(["eval", "--summaries", "--no-checker", "--index", str(index_copy), "--runs-dir", str(tmp_path),
               "--limit", "3", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 0 and r["summaries"] == 0 and r["documents"] == 5
    assert r["gold"]["summarized"] == 0 and "faithfulness" not in r
    if r.get("grades"):
        assert r["grades"]["reports"] == 3 and r["grades"]["accuracy"]["overall effectiveness"]["n"] == 3
    assert len(list(tmp_path.glob("summaries-*/result.json"))) == 1
    assert main(["eval", "--summaries", "--no-checker", "--index", str(index_copy), "--runs-dir", str(tmp_path),
                 "--limit", "1"]) == 0
    assert "brief summarize --all" in capsys.readouterr().out
