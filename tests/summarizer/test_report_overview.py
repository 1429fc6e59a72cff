"""A report's overview chosen by code (summarizer/summaries/report_overview.py), with the real embedder, on real
reports: whole sentences of the headline that represent the report, never a grade-table row or a list."""
from __future__ import annotations

import re

import pytest

from summarizer.summaries.evidence import doc_text
from summarizer.summaries.findings import statement
from summarizer.summaries.report_overview import overview_sentences
from summarizer.summaries.report_parts import HEADLINE_CHARS, report_headline

from tests.conftest import OFSTED, need_shared

TABLE_ROW = re.compile(r"(?:good|inadequate|outstanding|requires improvement)\s+\d", re.I)


@pytest.fixture(scope="module")
def reports():
    from eval.summaries_eval import load_reports

    need_shared(OFSTED / "reports.jsonl")
    return load_reports({"80572_torbay_2016-01-05", "80418_norfolk_2013-08-16", "80569_tameside_2024-02-13"})


def test_the_overview_represents_the_report_not_its_grade_table(service, reports):
    encode = service.labeller_encoder()
    assert encode is not None  # the real embedder is the one the labeller was fitted on
    for doc in reports.values():
        dt = doc_text(doc.text, doc.comment_start)
        spans = overview_sentences(dt, HEADLINE_CHARS, encode)
        texts = [statement(dt, a, b) for a, b in spans]
        assert len(texts) == 2, doc.id
        for t in texts:
            assert t[0].isupper() and t.endswith((".", "!", "?")) and not TABLE_ROW.search(t), (doc.id, t)
        head = report_headline(doc.text, HEADLINE_CHARS)
        if head is not None:
            assert all(head[0] <= a and b <= head[1] for a, b in spans)
    torbay = reports["80572_torbay_2016-01-05"]
    dt = doc_text(torbay.text, torbay.comment_start)
    first_two = " ".join(statement(dt, a, b) for a, b in overview_sentences(dt, HEADLINE_CHARS, None))
    assert TABLE_ROW.search(first_two)  # the report opens with its grade table: the first sentences will not do
