"""The Councils tab's graded record and digest, and the Articles table's findings counts, without a browser or the
model: the record table and chart come from ``service.council_briefing``, the digest table filters by judgement and
year, and the counts are the stored summary's own (blank for a document with none)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import DARLINGTON, RECORD_REPORTS, TAMESIDE, TORBAY_2015
from tests.ui.test_web_views import seed_summaries

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


@pytest.fixture(scope="module")
def svc(reports_index):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(reports_index))


def test_articles_table_counts_each_summary_s_findings(index_copy):
    from summarizer.service import BriefService
    from summarizer.settings import Settings
    from ui.web.views_articles import ARTICLE_HEADERS, article_row

    s = BriefService(Settings.from_env(index_copy))
    seeded = seed_summaries(s)
    stored = {r.doc_id: r for r in s.stored_summaries()}
    rows = {d.id: dict(zip(ARTICLE_HEADERS, article_row(d, stored.get(d.id)))) for d in s.documents()}
    for doc_id in (DARLINGTON, TAMESIDE):
        rec = seeded[doc_id]
        assert rows[doc_id]["Weaknesses"] == str(sum(len(c.weaknesses) for c in rec.councils))
        assert rows[doc_id]["Strengths"] == str(sum(len(c.strengths) for c in rec.councils))
        assert rows[doc_id]["Actions"] == str(sum(len(c.actions) + len(c.improvements) for c in rec.councils))
    assert rows[DARLINGTON]["Weaknesses"] != "0"
    assert (rows[TORBAY_2015]["Weaknesses"], rows[TORBAY_2015]["Strengths"], rows[TORBAY_2015]["Actions"]) == ("", "", "")
    assert rows[TORBAY_2015]["Summary"] == "not generated"


def test_council_view_shows_the_record_table_and_returns_the_chart(svc):
    from matplotlib.figure import Figure

    from ui.web.councils import council_outputs
    from ui.web.library import Library

    page, fig = council_outputs(svc, Library(svc), "Darlington")
    assert isinstance(fig, Figure)
    b = svc.council_briefing("Darlington")
    dates = re.findall(r"<tr data-date='([^']+)'>", page)
    assert dates == [i.date for i in b.inspections] and dates == sorted(dates)
    assert f"data-inspections='{len(b.inspections)}'" in page
    changes = re.findall(r"<tr class='([\w-]+)'><td class='when'>", page)
    assert len(changes) == sum(len(c.areas) for c in b.grade_changes)
    assert all(rid in page for rid in RECORD_REPORTS if "darlington" in rid)
    assert council_outputs(svc, Library(svc), None)[1] is None


def test_a_council_without_graded_inspection_says_so():
    from types import SimpleNamespace

    from ui.web.views_record import record_html

    assert "No graded inspection" in record_html(SimpleNamespace(inspections=[], grade_changes=[]))
    assert "No graded inspection" in record_html(None)


def test_digest_table_filters_by_judgement_and_year(svc):
    from ui.web.views_record import ANY, digest_filters, digest_rows

    d = svc.digest()
    judgements, years = digest_filters(d)
    assert judgements[0] == ANY and years[0] == ANY and len(judgements) > 2 and len(years) > 2
    assert len(digest_rows(d, ANY, ANY)) == len(d["councils"])
    for j in judgements[1:]:
        rows = digest_rows(d, j, ANY)
        assert len(rows) == sum((r["judgement"] or "not stated") == j for r in d["councils"]) > 0
        assert set(rows["Latest judgement"]) == {j}
    y = years[1]
    rows = digest_rows(d, ANY, y)
    assert len(rows) > 0 and set(rows["Year"]) == {y} and all(r.startswith(y) for r in rows["Date"])


def test_digest_outputs_give_the_year_chart(svc):
    from ui.web.councils import digest_outputs

    table, fig, judgements, years = digest_outputs(svc, "Any", "Any")
    assert len(table) == len(svc.digest()["councils"]) and fig is not None and fig.axes[0].patches
