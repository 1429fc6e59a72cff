"""The web UI's views without the model or a browser: the Articles table and article view from stored structured
summaries (evidence highlighted, everything escaped), generating a summary (scripted backend), the council briefing and
the Ask tab's per-sentence verdicts. The Evaluate tab's views are tested in test_web_evaluate.py.

Summaries are real ``ArticleSummary`` records whose evidence spans are found in the real article text, written to the
real result store of a real index (tests/conftest.py builds it from data/articles with the real embedder).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from summarizer.answer.records import Answer, AnswerSentence, Passage
from summarizer.summaries.schema import ArticleSummary, CouncilEntry, DroppedItem, Item, Person, Span

from tests.conftest import DARLINGTON, TAMESIDE, TORBAY_2015, WORCESTERSHIRE

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


# --- shared helpers (tests/ui/test_web.py uses them too) ---------------------------------------------------------------

def span_of(text: str, words: str, end_at: str = "\n") -> Span:
    """The span from where `words` start to the end of their line (or `end_at`), checked against the text."""
    s = text.index(words)
    e = text.find(end_at, s + len(words))
    e = len(text) if e < 0 else e + (len(end_at) if end_at != "\n" else 0)
    sp = Span(start=s, end=e, text=text[s:e])
    assert text[sp.start:sp.end] == sp.text
    return sp


def darlington_summary(doc, hostile: bool = False) -> ArticleSummary:
    """A structured summary of the Darlington article, every item grounded in a real span of its text."""
    t = doc.text
    judgement = span_of(t, "The inspection report, published today, rated the authority")
    wait = span_of(t, "This meant that a “significant number” of children wait too long", end_at="assessed.")
    late = span_of(t, "Inspectors found 94 assessments had not been completed")
    workloads = span_of(t, "Inspectors told the council to distribute workloads")
    leavers = span_of(t, "The adoption performance and experiences of care leavers")
    burns = span_of(t, "Ada Burns, chief executive of the council")
    weak_text = "Too many children wait too long for their needs to be assessed"
    entry = CouncilEntry(
        council="Darlington", inspection_kind="full inspection", date="2015-09-01", judgement="inadequate",
        judgement_evidence=[judgement],
        weaknesses=[Item(text=weak_text + (" " + HOSTILE if hostile else ""), evidence=[wait])],
        strengths=[Item(text="Care leavers' experiences were rated good", evidence=[leavers])],
        actions=[Item(text="Distribute workloads more evenly across teams", evidence=[workloads])],
        figures=[Item(text="94 assessments were not completed in agreed timescales", evidence=[late])],
        people=[Person(name="Ada Burns" + (HOSTILE if hostile else ""), role="chief executive",
                       organisation="Darlington council", evidence=[burns])])
    return ArticleSummary(
        doc_id=doc.id, title=doc.title, date=doc.date, content_hash=doc.hash, model_id="hand-made",
        backend="test", overview="Ofsted rated Darlington's children's services inadequate.",
        overview_evidence=[judgement], councils=[entry], created="2026-01-01T00:00:00",
        dropped=[DroppedItem(council="Darlington", field="strengths", text="Social workers are committed",
                             quote="social workers were committed",
                             reason="restates " + (HOSTILE if hostile else "the lede"))])


def tameside_summary(doc) -> ArticleSummary:
    """Two councils of the multi-council Tameside article, each with its judgement and evidence."""
    t = doc.text
    nt = span_of(t, "Inside North Tyneside, which was rated")
    front = span_of(t, "A focused visit to Tameside for the April")
    return ArticleSummary(
        doc_id=doc.id, title=doc.title, date=doc.date, content_hash=doc.hash, model_id="hand-made", backend="test",
        councils=[CouncilEntry(council="Tameside", inspection_kind="focused visit",
                               weaknesses=[Item(text="The front door deteriorated", evidence=[front])]),
                  CouncilEntry(council="North Tyneside", inspection_kind="focused visit", judgement="outstanding",
                               judgement_evidence=[nt])],
        created="2026-01-01T00:00:00")


class ScriptedBackend:
    """A summarizer backend without a model: answers each extraction from the article text it is given."""

    name = "scripted"
    model_id = "scripted-1"
    parallel = False

    def __init__(self) -> None:
        self.calls = 0

    def generate_json(self, system, user, schema, max_tokens=600):
        from summarizer.llm.backends import Generation

        self.calls += 1
        body = user.split('"""')[1] if user.count('"""') >= 2 else user
        first = next(s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", body) if len(s.strip()) > 40)
        data = {"judgement": None, "judgement_quote": "", "previous_judgement": None, "previous_quote": "",
                "weaknesses": [{"text": first[:140], "quote": first[:150]}], "strengths": [], "actions": [],
                "figures": [], "people": []}
        return Generation({k: v for k, v in data.items() if k in schema.get("properties", data)}, 10, 5, 0.0)

    def stream_text(self, system, user, max_tokens=200):
        self.calls += 1
        yield "Ofsted looked at the council's services for children."


def write_qa(path: Path) -> Path:
    rows = [{"id": "d1", "question": "Why was Darlington rated inadequate?", "answerable": True,
             "docs": [DARLINGTON], "facts": [["inadequate"]], "type": "single"},
            {"id": "d2", "question": "How many assessments were late in Darlington?", "answerable": True,
             "docs": [DARLINGTON], "facts": [["94"]], "type": "single"},
            {"id": "u1", "question": "What did Ofsted say about Cornwall's adoption service in 1990?",
             "answerable": False, "docs": [], "facts": [], "type": "unanswerable"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class ExtractiveService:
    """The real service's search, with answers made from the top passage (``answer=True``) or always refused."""

    def __init__(self, service, answer: bool) -> None:
        self.service, self.answer = service, answer
        self.llm = SimpleNamespace(model_id="extractive" if answer else "refuser")
        self.settings = service.settings

    def search(self, query, k=None, filters=None):
        return self.service.search(query, k, filters)

    def ask(self, question, filters=None):
        hits = self.service.search(question, 1).hits
        if not self.answer or not hits:
            return Answer(question, "not_in_articles", "The articles don't say.")
        h = hits[0]
        p = Passage(1, h.chunk.doc_id, h.chunk.id, h.title, h.chunk.text, h.chunk.start, h.chunk.end)
        return Answer(question, "answered", h.chunk.text + " [1]", [AnswerSentence(h.chunk.text, [1], True, 1.0)],
                      [], [p])


def make_runs(service, root: Path, qa: Path) -> tuple[str, str]:
    """Two stored QA runs over the real index (as `brief eval --qa` stores them): A refuses, B answers."""
    from eval.qa.run import run_qa_eval

    names = ("20260101-000000", "20260102-000000")
    for name, answer in zip(names, (False, True)):
        run_qa_eval(ExtractiveService(service, answer), qa, progress=False, use_checker=False, baselines=False,
                    run_dir=root / name, report=False)
    return names


def seed_summaries(service, hostile: bool = False) -> dict:
    from summarizer.summaries.results import ResultStore

    store = ResultStore(service.summaries_dir)
    recs = {DARLINGTON: darlington_summary(service.document(DARLINGTON), hostile),
            TAMESIDE: tameside_summary(service.document(TAMESIDE))}
    for rec in recs.values():
        store.put(rec)
    return recs


# --- fixtures ------------------------------------------------------------------------------------------------------

@pytest.fixture()
def svc(index_copy):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(index_copy))


def _marks(page: str) -> dict[str, str]:
    """evidence mark number -> the text it covers (tags of nested marks removed, entities unescaped)."""
    out: dict[str, str] = {}
    for m in re.finditer(r'<mark class="ev (e\d+)">(.*?)</mark>', page, re.S):
        out[m.group(1)[1:]] = out.get(m.group(1)[1:], "") + html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))
    return out


def _links(page: str) -> list[tuple[list[str], str]]:
    """(evidence numbers, visible text) of every evidence link."""
    return [(m.group(1).split(), html.unescape(re.sub(r"<[^>]+>", "", m.group(2))))
            for m in re.finditer(r'<a class="evlink" href="#" data-ev="([\d ]+)"[^>]*>(.*?)</a>', page, re.S)]


# --- Articles ------------------------------------------------------------------------------------------------------

def test_article_view_links_every_item_to_its_highlighted_evidence(svc):
    from ui.web.views_articles import article_view_html

    recs = seed_summaries(svc, hostile=True)
    stored = {r.doc_id: r for r in svc.stored_summaries()}
    assert set(stored) == {DARLINGTON, TAMESIDE}
    doc, rec = svc.document(DARLINGTON), stored[DARLINGTON]
    assert rec == recs[DARLINGTON]
    page = article_view_html(doc, rec)
    marks, links = _marks(page), _links(page)
    # every statement of the summary is a link, and each link's marks cover exactly its evidence in the article
    statements = [rec.councils[0].judgement] + [it.text for _, _, it in rec.items() if not isinstance(it, Person)]
    linked = {text: ks for ks, text in links}
    for s in statements:
        assert s in linked, s
    for ks, text in links:
        spans = {(sp.start, sp.end) for _, _, it in rec.items() for sp in it.evidence if
                 (getattr(it, "text", None) or "") == text}
        for k in ks:
            assert k in marks and marks[k].strip() in doc.text
        if spans:
            assert {marks[k] for k in ks} == {doc.text[s:e] for s, e in spans}
    assert 'data-field="people"' in page and "chief executive" in page
    # the item's evidence is the highlighted sentence itself
    wait = rec.councils[0].weaknesses[0]
    ks = next(k for k, text in links if text == wait.text)
    assert marks[ks[0]] == wait.evidence[0].text
    # dropped items with their reasons
    assert "Dropped by the checks (1)" in page and "Social workers are committed" in page
    # everything from the model or the article is escaped
    assert "<script>" not in page and "<img" not in page
    assert html.escape(HOSTILE, quote=True) in page
    # reader comments are set apart and never highlighted as evidence
    assert 'class="reader-comment"' in page
    comments = page.split('class="reader-comment"', 1)[1]
    assert '<mark class="ev' not in comments
    assert 'data-summary="yes"' in page and "hand-made" in page


def test_article_without_summary_shows_metadata_and_not_generated(svc):
    from ui.web.views_articles import NOT_GENERATED, article_row, article_view_html

    doc = svc.document(TORBAY_2015)
    page = article_view_html(doc, None, None)
    assert 'data-summary="no"' in page and NOT_GENERATED in page and "Generate summary" in page
    assert '<mark class="evidence">' in page  # the judgement found by code, highlighted
    failed = article_view_html(doc, None, "BackendError: model output unusable")
    assert "the last attempt failed: BackendError: model output unusable" in failed
    row = article_row(doc, None)
    assert row[0] == TORBAY_2015 and row[-1] == NOT_GENERATED and "Torbay" in row[3]
    assert article_row(doc, None, "boom")[-1] == "failed"


def test_table_rows_come_from_summaries_one_row_per_article(svc):
    from ui.web.views_articles import ARTICLE_HEADERS, article_row

    seed_summaries(svc)
    stored = {r.doc_id: r for r in svc.stored_summaries()}
    rows = {d.id: dict(zip(ARTICLE_HEADERS, article_row(d, stored.get(d.id)))) for d in svc.documents()}
    assert len(rows) == 5
    dar = rows[DARLINGTON]
    assert (dar["Councils"], dar["Inspection kind"], dar["Judgement"], dar["Date"], dar["Summary"]) == \
        ("Darlington", "full inspection", "inadequate", "2015-09-01", "summarized")
    tam = rows[TAMESIDE]  # both councils of the article, each with its own judgement
    assert tam["Councils"] == "Tameside, North Tyneside"
    assert tam["Judgement"] == "Tameside: not stated; North Tyneside: outstanding"
    assert rows[WORCESTERSHIRE]["Summary"] == "not generated"
    # a summary of an older version of the text is not shown
    from summarizer.summaries.results import ResultStore

    old = darlington_summary(svc.document(DARLINGTON)).model_copy(update={"content_hash": "0" * 64,
                                                                         "created": "2030-01-01T00:00:00"})
    ResultStore(svc.summaries_dir).put(old)
    assert {r.doc_id: r for r in svc.stored_summaries()}[DARLINGTON].content_hash == svc.document(DARLINGTON).hash


def test_generate_summary_runs_the_batch_with_progress(svc, monkeypatch):
    from summarizer.service import expected_model_calls
    from ui.web.articles import generate_summary
    from ui.web.views_articles import article_row, article_view_html

    backend = ScriptedBackend()
    monkeypatch.setattr(svc, "backend", lambda: backend)
    seen = []

    def progress(value, desc=None, unit=None):
        seen.append((value, desc))

    report = generate_summary(svc, WORCESTERSHIRE, progress=progress)
    assert report.done == [WORCESTERSHIRE] and not report.failed
    assert backend.calls >= 2
    assert seen[0] == ((0, expected_model_calls(svc.document(WORCESTERSHIRE))), "Loading the model")
    steps = [(v, d) for v, d in seen if d.startswith("Summarizing")]
    assert [v[0] for v, _ in steps] == list(range(1, backend.calls + 1))  # one step per model call
    assert all(v[1] >= v[0] for v, _ in steps)
    assert re.match(r"Summarizing \(\d+ s\): model call 2 of about \d+$", steps[1][1])
    assert seen[-1][1].startswith(f"Done: {backend.calls} model calls")
    rec = {r.doc_id: r for r in svc.stored_summaries()}[WORCESTERSHIRE]
    assert rec.model_id == "scripted-1" and rec.councils
    doc = svc.document(WORCESTERSHIRE)
    assert article_row(doc, rec)[-1] == "summarized"
    page = article_view_html(doc, rec)
    assert all(marks.strip() in doc.text for marks in _marks(page).values()) and _links(page)
    # done already: skipped unless forced (the Regenerate button forces)
    assert generate_summary(svc, WORCESTERSHIRE).skipped == [WORCESTERSHIRE]
    calls = backend.calls
    assert generate_summary(svc, WORCESTERSHIRE, force=True).done == [WORCESTERSHIRE] and backend.calls > calls


# --- Councils ------------------------------------------------------------------------------------------------------

def test_council_briefing_from_summaries_with_citations(svc):
    from ui.web.councils import council_view_html

    seed_summaries(svc)
    docs = svc.documents()
    stored = {r.doc_id: r for r in svc.stored_summaries()}
    page = council_view_html(svc, "Darlington", docs, stored)
    assert 'data-source="summaries"' in page and DARLINGTON in page
    rec = stored[DARLINGTON]
    text = svc.document(DARLINGTON).text
    # the judgement and the findings link to marks in the article's panel, which cover their evidence
    panel = re.search(r'<div class="src-panel ev-panel" id="(cb-\d+)" data-doc="' + DARLINGTON, page)
    assert panel
    marks = _marks(page)
    for ks, label in _links(page):
        for k in ks:
            assert marks[k] in text
    labels = [label for _, label in _links(page)]
    assert "inadequate" in labels and rec.councils[0].weaknesses[0].text in labels
    assert rec.councils[0].judgement_evidence[0].text.strip()[:60] in html.unescape(page)  # quoted citation
    # a council no summary covers: the metadata view, as before summaries existed
    torbay = council_view_html(svc, "Torbay", docs, stored)
    assert 'data-source="metadata"' in torbay and TORBAY_2015 in torbay
    assert "No article in the index is about Cornwall" in council_view_html(svc, "Cornwall", docs, stored)


def test_briefing_escapes_hostile_summary_text(svc):
    from ui.web.councils import council_view_html

    seed_summaries(svc, hostile=True)
    stored = {r.doc_id: r for r in svc.stored_summaries()}
    page = council_view_html(svc, "Darlington", svc.documents(), stored)
    assert "<script>" not in page and "<img" not in page


# --- Ask: per-sentence verdicts ----------------------------------------------------------------------------------------

def test_each_answer_sentence_shows_its_verdict(svc):
    from summarizer.checking.calibration import shipped_calibration
    from ui.web.views_answer import AnswerView, sentence_verdict

    doc = svc.document(DARLINGTON)
    s = doc.text.index("Inspectors found 94")
    p = Passage(1, DARLINGTON, DARLINGTON + "#0", doc.title, doc.text[s:s + 200], s, s + 200)
    judged = AnswerSentence("Inspectors found 94 assessments late.", [1], True, 0.9, judge=0.87)
    exact_only = AnswerSentence("Assessments were <b>late</b>.", [1], True, 0.8)
    flagged = AnswerSentence("Inspectors found 95 assessments late.", [1], False, 0.5,
                             note="the checker scored its support by the cited passages 0.12, below 0.50", judge=0.12)
    assert [sentence_verdict(x)[0] for x in (judged, exact_only, flagged)] == ["supported", "unjudged", "flagged"]
    view = AnswerView(svc, "How many assessments were late?")
    view.passages, view.sentences = [p], [judged, exact_only, flagged]
    view.answer = Answer(view.question, "answered", "", [judged, exact_only], [flagged], [p])
    page = view.render()
    verdicts = re.findall(r'data-verdict="(\w+)">(.*?)<span class="chk verdict \w+" title="([^"]*)">([^<]*)</span>',
                          page, re.S)
    assert [(v, label) for v, _, _, label in verdicts] == [
        ("supported", "✓ supported · 0.87"), ("unjudged", "✓ exact check only"), ("flagged", "✗ flagged · 0.12")]
    threshold = f"{shipped_calibration().threshold:.2f}"
    assert f"checker score 0.12 (supported at {threshold} or above)" in verdicts[2][2]
    assert "checker not run" in verdicts[1][2]
    assert f"score is {threshold} or above" in page  # the legend says what the number means
    assert "&lt;b&gt;late&lt;/b&gt;" in page and "<b>late</b>" not in page
