"""Structured summaries: schema, evidence checks, multi-council split, reader comments, resume, briefings.

Most tests use a scripted backend (fast, exact); one runs the real local model on a real article (marked model).
"""
from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from summarizer.llm.backends import BackendError, Generation
from summarizer.summaries.batch import run_batch
from summarizer.summaries.evidence import doc_text, ground, locate
from summarizer.summaries.results import ResultStore
from summarizer.summaries.schema import ArticleSummary, CouncilEntry, Item, Span, extraction_schema
from summarizer.summaries.summarizer import Summarizer, SummaryOptions, council_parts

from tests.conftest import ARTICLES, DARLINGTON, OFSTED, TAMESIDE, TORBAY_2015, WORCESTERSHIRE, need_shared


def _docs() -> dict:
    from retrieval.loaders import load_paths
    from retrieval.pipeline import prepare
    from retrieval.settings import RetrievalSettings

    docs, _ = load_paths([ARTICLES])
    return {d.id: prepare(d, RetrievalSettings(), None)[0] for d in docs}


DOCS = _docs()


class ScriptedBackend:
    """Answers extraction calls from a function of the prompt; counts calls."""

    name = "scripted"
    model_id = "scripted-1"
    parallel = True

    def __init__(self, answer, overview="") -> None:
        self.answer = answer
        self.overview = overview
        self.calls: list[str] = []

    def generate_json(self, system, user, schema, max_tokens=600):
        self.calls.append(user)
        return Generation(self.answer(user, schema), 10, 5, 0.0)

    def stream_text(self, system, user, max_tokens=200):
        self.calls.append(user)
        yield self.overview


def _empty(**kw) -> dict:
    d = {"judgement": None, "judgement_quote": "", "previous_judgement": None, "previous_quote": "",
         "weaknesses": [], "strengths": [], "actions": [], "figures": [], "people": []}
    d.update(kw)
    return d


# --- schema ----------------------------------------------------------------------------------------------------
def test_schema_validates_records():
    text = DOCS[DARLINGTON].text
    s = text.index("Inspectors found 94")
    sp = Span(start=s, end=s + 19, text=text[s:s + 19])
    entry = CouncilEntry(council="Darlington", judgement="inadequate", judgement_evidence=[sp],
                         figures=[Item(text="94 assessments late", evidence=[sp])])
    rec = ArticleSummary(doc_id=DARLINGTON, content_hash="h", model_id="m", councils=[entry])
    again = ArticleSummary.model_validate_json(rec.model_dump_json())
    assert again == rec and len(rec.key) == 24
    with pytest.raises(ValidationError):  # a judgement needs evidence
        CouncilEntry(council="X", judgement="inadequate")
    with pytest.raises(ValidationError):  # only Ofsted's words
        CouncilEntry(council="X", judgement="excellent", judgement_evidence=[sp])
    with pytest.raises(ValidationError):  # span text must match its offsets
        Span(start=0, end=5, text="abc")
    with pytest.raises(ValidationError):  # an item needs evidence
        Item(text="something", evidence=[])
    with pytest.raises(ValidationError):  # one entry per council
        ArticleSummary(doc_id="d", content_hash="h", model_id="m", councils=[entry, entry])
    schema = extraction_schema(with_overview=False)
    assert {"judgement", "weaknesses", "figures", "people"} <= set(schema["properties"])


# --- evidence ----------------------------------------------------------------------------------------------------
def test_locate_exact_normalised_and_fuzzy():
    d = DOCS[DARLINGTON]
    dt = doc_text(d.text, d.comment_start)
    (s, e), how = locate("Inspectors found 94 assessments had not been completed", dt)
    assert how == "exact" and "94 assessments" in d.text[s:e] and d.text[s:e].startswith("Inspectors")
    (s2, e2), how = locate('inspectors  found 94 ASSESSMENTS had not been completed', dt)
    assert how == "normalised" and (s2, e2) == (s, e)
    (s3, e3), how = locate("94 assessments were not finished within agreed timescales, inspectors found", dt)
    assert how == "fuzzy" and (s3, e3) == (s, e)
    found, why = locate("The council won a national award for innovation in 2014", dt)
    assert found is None and "not found" in why


def test_evidence_check_catches_wrong_number_and_invented_name():
    d = DOCS[DARLINGTON]
    dt = doc_text(d.text, d.comment_start)
    quote = "Inspectors found 94 assessments had not been completed in the timescales agreed"
    ev, reason = ground("94 assessments were not completed on time", quote, dt)
    assert reason is None and ev and "94" in ev[0].text
    ev, reason = ground("97 assessments were not completed on time", quote, dt)  # planted wrong number
    assert reason and "97" in reason
    ev, reason = ground("John Smithson said 94 assessments were not completed on time", quote, dt)  # invented name
    assert reason and "John Smithson" in reason
    ev, reason = ground("Ada Burns said the council will recruit a practice supervisor",
                        "Ada Burns, chief executive of the council, said the council will immediately recruit", dt)
    assert reason is None


def test_failing_items_are_regenerated_once_then_dropped_with_reason():
    quote = "Inspectors found 94 assessments had not been completed in the timescales agreed"

    def answer(user, schema):
        if "failed a check" in user:  # the regeneration is still wrong
            return {"text": "95 assessments were late", "quote": quote}
        return _empty(figures=[{"text": "97 assessments were late", "quote": quote},
                               {"text": "94 assessments were late", "quote": quote}],
                      people=[{"name": "Jane Invented", "role": "director", "organisation": "Darlington",
                               "quote": "Jane Invented said the service would improve"}])

    be = ScriptedBackend(answer, overview="Darlington's children's services were rated inadequate by Ofsted.")
    rec = Summarizer(be).summarize(DOCS[DARLINGTON])
    entry = rec.entry("Darlington")
    model_figures = [f.text for f in entry.figures if "assessments" in f.text]
    assert model_figures == ["94 assessments were late"]  # 97 dropped; code figures add only other quantities
    assert not any("97" in f.text or "95" in f.text for f in entry.figures)
    assert sum("failed a check" in c for c in be.calls) == 1  # regenerated exactly once
    reasons = {d.text: d.reason for d in rec.dropped}
    assert "97" in reasons["97 assessments were late"] and "after regeneration" in reasons["97 assessments were late"]
    assert "Jane Invented" in reasons and not entry.people
    assert rec.stats.regenerated >= 1


def test_reader_comment_is_never_evidence():
    d = DOCS[DARLINGTON]
    assert d.comment_start is not None
    comment = d.text[d.comment_start:]
    dt = doc_text(d.text, d.comment_start)
    found, _ = locate(comment[:120], dt)
    assert found is None or found[1] <= d.comment_start
    ev, reason = ground("Ofsted should impose penalties on underperforming authorities", comment[:150], dt)
    assert reason is not None

    def answer(user, schema):
        assert "penulties" not in user  # the comment never reaches the model
        return _empty(weaknesses=[{"text": "The private sector would not be allowed to go on underperforming",
                                   "quote": "the Private Sector would not be allowed to go on underperforming"}])

    rec = Summarizer(ScriptedBackend(answer, overview="Darlington was rated inadequate.")).summarize(d)
    for _, _, it in rec.items():
        assert all(e.end <= d.comment_start for e in it.evidence)
    assert rec.dropped and all(e.end <= d.comment_start for e in rec.overview_evidence)


def test_the_faithfulness_checker_scores_the_overview_and_an_unsupported_one_is_replaced():
    """The overview is the model's own wording: the checker scores it against its evidence; below the threshold it
    is written again, then replaced by the lede's own sentences, and the reason is kept."""
    from summarizer.checking.calibration import Calibration
    from summarizer.checking.checker import ClaimChecker

    class Judge:
        model_id = "fake"

        def __init__(self, p: float) -> None:
            self.p = p

        def yes_probability(self, prompt: str) -> float:
            return self.p

    identity = Calibration(("local",), [0.0], [1.0], [1.0], 0.0, 0.5)  # score = the best window's P(yes)
    d = DOCS[DARLINGTON]
    overview = "Ofsted rated Darlington's children's services inadequate."
    ok = Summarizer(ScriptedBackend(lambda u, s: _empty(), overview=overview),
                    checker=ClaimChecker(Judge(0.9), identity)).summarize(d)
    assert ok.overview == overview and ok.overview_score == pytest.approx(0.9, abs=1e-3)
    bad = Summarizer(ScriptedBackend(lambda u, s: _empty(), overview=overview),
                     checker=ClaimChecker(Judge(0.2), identity)).summarize(d)
    assert bad.overview != overview and bad.overview_score is None  # the lede's own sentences, not scored
    assert any(x.field == "overview" and "faithfulness checker scored it 0.20" in x.reason for x in bad.dropped)
    first = bad.overview.split(". ")[0].rstrip(".")
    assert len(first) > 20 and first in " ".join(d.text.split())


def test_code_figures_fill_in_what_the_model_left_out():
    """Quantities the model's figures missed are added from the text, with the sentence as evidence; years, dates
    and words like Covid-19 are not figures; a number the model already gave is not repeated."""
    from summarizer.summaries.figures import _quantities, code_figures

    assert _quantities("Since Covid-19 lockdowns in July 2019, 44% of section 47 enquiries on 3 March") == {"44%"}
    d = DOCS[DARLINGTON]

    def answer(user, schema):
        return _empty(figures=[{"text": "94 assessments were not completed in agreed timescales",
                                "quote": "Inspectors found 94 assessments had not been completed in the timescales agreed"}])

    rec = Summarizer(ScriptedBackend(answer, overview="")).summarize(d)
    figs = rec.entry("Darlington").figures
    texts = [f.text for f in figs]
    assert texts[0].startswith("94 assessments")
    assert sum("94" in t for t in texts) == 1
    assert any("67%" in t and "45%" in t for t in texts)
    for f in figs:
        ev = " ".join(e.text for e in f.evidence)
        assert all(n in ev for n in _quantities(f.text))
        assert all(d.text[e.start:e.end] == e.text and e.end <= d.comment_start for e in f.evidence)
    assert code_figures(doc_text(d.text, d.comment_start), [], set()) == []


def test_boilerplate_is_never_evidence():
    d = DOCS[WORCESTERSHIRE]
    dt = doc_text(d.text, d.comment_start)
    found, _ = locate("More from Community Care", dt)
    assert found is None or "More from" not in d.text[found[0]:found[1]]


# --- multi-council articles -----------------------------------------------------------------------------------------
def test_multi_council_article_gets_one_entry_per_council():
    d = DOCS[TAMESIDE]
    dt = doc_text(d.text, d.comment_start)
    parts = council_parts(d, dt)
    assert [p.council for p in parts] == ["Tameside", "North Tyneside", "Redbridge"]
    assert "Stathers-Tracey" in parts[0].text and "Stathers-Tracey" not in parts[1].text + parts[2].text
    assert "North Tyneside" in parts[1].text and "Redbridge" not in parts[1].text
    assert "Metropolitan Police" in parts[2].text or "Urban Police" in parts[2].text

    def answer(user, schema):
        council = re.search(r"text about ([^:]+):", user).group(1)
        if council == "North Tyneside":
            return _empty(judgement="outstanding", judgement_quote="Inside North Tyneside, which was rated "
                          "‘outstanding’ in advance of the original Covid lockdown",
                          strengths=[{"text": "Staff are highly trained and knowledgeable",
                                      "quote": "“highly trained and you can knowledgable” personnel"}])
        if council == "Redbridge":
            return _empty(judgement="outstanding", judgement_quote="another ‘outstanding’ expert",
                          weaknesses=[{"text": "Partner agencies' attendance at strategy meetings is a problem",
                                       "quote": "attendance out of companion companies from the means group meetings"}])
        return _empty(weaknesses=[{"text": "Caseloads remain too high", "quote": "Caseloads will always be way too high"}])

    rec = Summarizer(ScriptedBackend(answer, overview="Ofsted focused visits to Tameside, North Tyneside and "
                                     "Redbridge.")).summarize(d)
    assert [c.council for c in rec.councils] == ["Tameside", "North Tyneside", "Redbridge"]
    nt, rb = rec.entry("North Tyneside"), rec.entry("Redbridge")
    assert nt.judgement == "outstanding" and rb.judgement == "outstanding"
    assert all(c.inspection_kind == "focused visit" for c in rec.councils)
    # no blending: each entry's evidence lies in its own council's part
    nt_start = d.text.index("Inside North Tyneside")
    rb_start = d.text.index("Redbridge")
    assert all(nt_start - 200 < e.start < rb_start for it in nt.strengths for e in it.evidence)
    assert all(e.start > rb_start - 100 for it in rb.weaknesses for e in it.evidence)


def test_long_article_is_map_reduced():
    d = DOCS[TAMESIDE]
    be = ScriptedBackend(lambda u, s: _empty(), overview="Ofsted visited Tameside.")
    rec = Summarizer(be, SummaryOptions(part_chars=1500)).summarize(d)
    assert rec.stats.parts > 3 and len(rec.councils) == 3


def test_report_grades_come_from_the_judgement_table():
    need_shared(OFSTED / "reports.jsonl")
    from eval.summaries_eval import load_reports

    rid = "80569_tameside_2019-07-01"
    doc = load_reports({rid})[rid]
    be = ScriptedBackend(lambda u, s: _empty(), overview="Tameside's children's services require improvement.")
    rec = Summarizer(be).summarize(doc)
    e = rec.councils[0]
    assert e.council == "Tameside" and e.judgement == "requires improvement"
    assert {a.area: a.grade for a in e.areas} == {a: "requires improvement" for a in (
        "overall effectiveness", "impact of leaders", "help and protection", "children in care")}
    assert e.inspection_dates == ["2019-05-13", "2019-05-24"] and e.lead_inspector.name == "Dominic Stevens"
    assert len(e.improvements) == 4 and e.improvements[0].text.startswith("Timeliness of achieving permanence")
    assert e.previous_judgement == "inadequate"
    assert len(be.calls) == 1 and len(be.calls[0]) < 4000  # only the headline findings reach the model
    # the overview is two whole sentences of the headline, chosen by code, not the model's
    assert rec.overview != "Tameside's children's services require improvement."
    ev = rec.overview_evidence
    assert len(ev) == 2 and all(doc.text[s.start:s.end] == s.text for s in ev)
    assert rec.overview == " ".join(" ".join(s.text.split()) for s in ev)


# --- batch: resume, failures ------------------------------------------------------------------------------------
def test_batch_resumes_after_crash_and_records_failures(tmp_path):
    docs = [DOCS[i] for i in sorted(DOCS)]
    store = ResultStore(tmp_path / "summaries")
    seen: list[str] = []

    def crash_on_third(user, schema):
        seen.append(user)
        if "Worcestershire" in user:
            raise KeyboardInterrupt  # a crash mid-article
        return _empty()

    be = ScriptedBackend(crash_on_third, overview="An overview of the article.")
    with pytest.raises(KeyboardInterrupt):
        run_batch(docs, Summarizer(be), store)
    first = store.done_keys()
    assert len(first) == 2  # the two articles before the crash are kept
    lines = (tmp_path / "summaries" / "summaries.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["status"] == "ok" for x in lines)

    def fail_darlington(user, schema):
        if "Darlington" in user:
            raise BackendError("model output unusable")
        return _empty()

    be2 = ScriptedBackend(fail_darlington, overview="An overview of the article.")
    rep = run_batch(docs, Summarizer(be2), store)
    assert sorted(rep.skipped) == sorted(d.id for d in docs[:2])  # nothing done twice
    assert DARLINGTON in rep.done or DARLINGTON in rep.failed
    assert len(store.done_keys()) + len(store.failures()) >= 5
    rep3 = run_batch(docs, Summarizer(ScriptedBackend(lambda u, s: _empty(), overview="An overview.")), store)
    assert len(rep3.skipped) == len(store.done_keys()) and not rep3.failed
    assert (tmp_path / "summaries" / "markdown" / f"{TORBAY_2015}.md").is_file()


def test_briefing_and_digest_from_stored_summaries():
    from summarizer.briefing.briefing import council_briefing, digest

    def answer(user, schema):
        if "Torbay" in user and "monitoring" in user.lower() or "recruit" in user:
            return _empty(weaknesses=[{"text": "Recruiting enough experienced staff has been difficult",
                                       "quote": "recruiting enough experienced social workers has been difficult"}])
        return _empty(weaknesses=[{"text": "Children experience delay in gaining help and protection",
                                   "quote": "Children and families experience delay in gaining access to help"}],
                      actions=[{"text": "Recruit more experienced staff in key areas",
                                "quote": "increasing the number of permanent staff in key areas"}])

    be = ScriptedBackend(answer, overview="An overview of the article.")
    recs = [Summarizer(be).summarize(DOCS[i]) for i in (TORBAY_2015, "001_c76fbb4aff01f110")]
    docs = list(DOCS.values())
    b = council_briefing("torbay", docs, recs)
    assert b.covered and b.council == "Torbay"
    assert [t.doc_id for t in b.timeline][0] == TORBAY_2015 and len(b.timeline) == 2
    assert b.timeline[0].judgement == "inadequate" and b.timeline[0].citations
    # themes come from the findings: both visits' items share a phrase
    assert len(b.recurring) == 1 and b.recurring[0]["theme"] == "experienced staff"
    assert len(b.recurring[0]["citations"]) == 2 and b.recurring[0]["theme"] in b.timeline[1].themes
    assert b.changes and "→" in b.changes[0]
    assert not council_briefing("Cornwall", docs, recs).covered
    d = digest(docs, recs)
    rows = {r["council"]: r for r in d["councils"]}
    assert rows["Torbay"]["judgement"] == "inadequate" and rows["Torbay"]["source"] == TORBAY_2015
    assert rows["Torbay"]["summarized"] and not rows["Darlington"]["summarized"]  # others: metadata only
    assert {"Tameside", "North Tyneside", "Redbridge", "Worcestershire"} <= set(rows)


# --- the real model on a real article ----------------------------------------------------------------------------
@pytest.mark.model
def test_real_model_summarizes_darlington():
    from summarizer.llm.backends import LlamaBackend
    from summarizer.llm.shared import shared_llm
    from summarizer.settings import Settings

    d = DOCS[DARLINGTON]
    opts = SummaryOptions(items_per_field=1, extract_tokens=320, max_repairs=1)
    rec = Summarizer(LlamaBackend(shared_llm(Settings.from_env())), opts).summarize(d)
    assert [c.council for c in rec.councils] == ["Darlington"]
    e = rec.councils[0]
    assert e.judgement == "inadequate" and e.inspection_kind == "full inspection"
    assert rec.overview
    for _, _, it in rec.items():
        for ev in it.evidence:
            assert d.text[ev.start:ev.end] == ev.text and ev.end <= d.comment_start
    assert rec.stats.calls >= 2 and rec.stats.completion_tokens > 0
