"""The web package's plain parts without a browser: input parsing, small renderers, the reload stamp, the API/MCP
tool functions over the real index, the answer stream from typed events, and a light package import."""
from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from summarizer.answer.events import AnswerReady, PassagesFound, SentenceChecked, TokenStreamed
from summarizer.answer.records import Answer, AnswerSentence, Passage
from tests.conftest import DARLINGTON, TAMESIDE, TORBAY_2015

HOSTILE = '<script>x()</script>'


@pytest.fixture()
def svc(index_copy):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(index_copy))


def test_parse_filters():
    from ui.web.common import ALL_COUNCILS, UserError, parse_filters

    assert parse_filters(ALL_COUNCILS, "", " ") is None
    f = parse_filters("Torbay", "2015", "2019-12-31")
    assert f.councils == ["Torbay"] and (f.date_from, f.date_to) == ("2015", "2019-12-31")
    with pytest.raises(UserError, match="From date must look like"):
        parse_filters("", "last year", "")


def test_auth_from_env_needs_both(monkeypatch):
    from ui.web import UnsafeBindError, auth_from_env

    monkeypatch.setenv("BRIEF_USERNAME", "u")
    monkeypatch.delenv("BRIEF_PASSWORD", raising=False)
    with pytest.raises(UnsafeBindError, match="both"):
        auth_from_env()
    monkeypatch.setenv("BRIEF_PASSWORD", "p")
    assert auth_from_env() == ("u", "p")


def test_package_import_is_light():
    code = "import sys, ui.web; print('gradio' in sys.modules, callable(ui.web.serve))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_small_renderers_escape():
    from ui.web.views import history_html, search_results_html

    chunk = SimpleNamespace(doc_id="d1", text=HOSTILE)
    res = SimpleNamespace(missing_councils=[], hits=[SimpleNamespace(chunk=chunk, title=HOSTILE, date=None, score=0.5)])
    page = search_results_html(res)
    assert "<script>" not in page and "&lt;script&gt;" in page and 'data-doc="d1"' in page and "undated" in page
    assert "No passages matched" in search_results_html(SimpleNamespace(missing_councils=[], hits=[]))
    assert "don't cover Cornwall" in search_results_html(SimpleNamespace(missing_councils=["Cornwall"], hits=[]))
    hist = history_html([{"question": HOSTILE, "text": "t", "status": "not_in_articles", "when": "10:00:00",
                          "total_s": 1.25}])
    assert "<script>" not in hist and "not in articles" in hist and "1.2 s" in hist


def test_changed_stamp_and_library_reload(svc):
    from ui.web.library import Library

    from .test_web_views import seed_summaries

    lib = Library(svc)
    before = svc.changed_stamp()
    assert before[0] is not None and lib.summaries() == ({}, {})
    seed_summaries(svc)
    assert svc.changed_stamp() != before
    assert set(lib.summaries()[0]) == {DARLINGTON, TAMESIDE}
    assert "Darlington" in lib.councils() and "articles" in lib.stats_line()
    rows = lib.article_rows("darlington")
    assert DARLINGTON in list(rows["ID"]) and len(rows) < len(lib.article_rows())


def test_tools_search_summary_and_briefing(svc):
    from ui.web.common import UserError
    from ui.web.tools import make_tools

    from .test_web_views import seed_summaries

    tools = make_tools(svc)
    assert [f.__name__ for f in tools.values()] == ["ask", "search", "council_briefing", "summary"]
    hits = tools["search_api"]("Darlington assessments timescales", 2)
    assert len(hits) == 2 and hits[0]["article_id"] == DARLINGTON
    with pytest.raises(UserError):
        tools["search_api"]("  ")
    assert tools["summary_api"](TORBAY_2015)["summary"] is None
    with pytest.raises(UserError, match="No article"):
        tools["summary_api"]("nope")
    seed_summaries(svc)
    rec = tools["summary_api"](DARLINGTON)
    assert rec["doc_id"] == DARLINGTON and rec["councils"][0]["judgement"] == "inadequate"
    b = tools["council_briefing_api"]("Darlington")
    assert b["council"] == "Darlington" and any(te["doc_id"] == DARLINGTON for te in b["timeline"])


class _ScriptedAsk:
    """A service whose answer stream is a fixed list of typed events (no model)."""

    def __init__(self, events) -> None:
        self.events = events

    def ask_stream(self, question, filters=None):
        return iter(self.events)

    def document(self, doc_id):
        return None


def test_answer_views_follow_the_typed_events():
    from ui.web.ask import answer_views, history_entry

    p = Passage(1, "d1", "d1#0", "Title", "Inspectors found 94 late assessments.", 0, 38)
    s = AnswerSentence("Inspectors found 94 late assessments.", [1], True, 0.9, judge=0.8)
    answer = Answer("q?", "answered", s.text, [s], [], [p], timings={"total_s": 2.0})
    events = [PassagesFound([p]), TokenStreamed("Insp"), SentenceChecked(s), AnswerReady(answer)]
    views = [v.render() for v in answer_views(_ScriptedAsk(events), "q?", None)]
    assert "Searching the articles" in views[0] and "Found 1 passages" in views[1]
    final = list(answer_views(_ScriptedAsk(events), "q?", None))[-1]
    assert final.answer is answer and final.sentences == [s] and final.tokens == 1
    entry = history_entry("q?", final)
    assert entry["status"] == "answered" and entry["total_s"] == 2.0 and 'data-status="answered"' in entry["html"]
