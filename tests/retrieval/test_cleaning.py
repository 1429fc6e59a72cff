"""Tests for retrieval.cleaning: boilerplate, link spam, unwrapping, reader comments and the offset map."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from retrieval.cleaning import body_text, clean_text, reflow_lines
from retrieval.records import CleanText

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = CORPUS / "seeds"
REPORTS = CORPUS / "ofsted" / "reports.jsonl"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")


@lru_cache(maxsize=None)
def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def report_sample() -> list[dict]:
    """About 100 reports spread across the file (every 5th line)."""
    with REPORTS.open(encoding="utf-8") as f:
        return [json.loads(line) for i, line in enumerate(f) if i % 5 == 0]


def assert_offsets_map_back(raw: str, clean: CleanText) -> None:
    """Every cleaned char is the original char at its offset, or both are whitespace (normalised)."""
    assert len(clean.offsets) == len(clean.text)
    assert clean.offsets == sorted(clean.offsets) and len(set(clean.offsets)) == len(clean.offsets)
    bad = [
        i for i, (ch, off) in enumerate(zip(clean.text, clean.offsets))
        if raw[off] != ch and not (raw[off].isspace() and ch.isspace())
    ]
    assert not bad, [(clean.text[i], raw[clean.offsets[i]]) for i in bad[:5]]


# --------------------------------------------------------------------------- seed articles


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_offsets_map_back_and_boilerplate_gone(prefix):
    raw = seed(prefix)
    clean = clean_text(raw)
    assert_offsets_map_back(raw, clean)
    for junk in ("Comments are closed", "More from Community Care", "Mackman", "http", "www."):
        assert junk not in clean.text
    assert "  " not in clean.text and "\n\n" not in clean.text
    assert clean.text == clean.text.strip()
    # segments lie inside the original, in order, and every boilerplate segment is absent from the cleaned text
    ends = 0
    for seg in clean.segments:
        assert 0 <= seg.start < seg.end <= len(raw) and seg.start >= ends
        ends = seg.end
        if seg.role == "boilerplate":
            assert raw[seg.start:seg.end].strip() not in clean.text


@needs_corpus
def test_site_furniture_is_marked_boilerplate():
    for prefix, junk in (("000", "Comments are closed."), ("002", "More from Community Care"),
                         ("001", "A Mackman Group collaboration")):
        raw = seed(prefix)
        clean = clean_text(raw)
        start = raw.index(junk)
        assert any(s.role == "boilerplate" and s.start <= start < s.end for s in clean.segments), prefix


@needs_corpus
def test_darlington_reader_comment_is_separated():
    raw = seed("003")
    clean = clean_text(raw)
    assert clean.comment_start is not None
    comment = clean.text[clean.comment_start:]
    assert comment.startswith("Whe is Ofsted going to impose penulties")
    body = body_text(clean)
    assert body.endswith("well above the national rate of 45%. All children identified as needing a child in need "
                         "or child protection plan have one,” Burns said.")
    assert clean.comment_start > clean.text.index("Burns said the council is proud")
    # the comment is still in the text (to be shown as a comment) and maps to the original's last paragraph
    start, end = clean.original_span(clean.comment_start, len(clean.text))
    assert raw[start:end] == raw.rstrip("\n").split("\n")[-1]
    comment_segs = [s for s in clean.segments if s.role == "comment"]
    assert comment_segs and comment_segs[0].start == start
    assert all(s.end <= start for s in clean.segments if s.role == "body")


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_other_seed_articles_have_no_comment(prefix):
    clean = clean_text(seed(prefix))
    assert clean.comment_start is None
    assert not [s for s in clean.segments if s.role == "comment"]


@needs_corpus
def test_link_spam_removed_from_sentence_and_offsets_still_map():
    raw = seed("004")
    url = "https://interracial-dating.net/elitesingles-review/"
    assert url in raw
    clean = clean_text(raw)
    assert url not in clean.text and "interracial" not in clean.text
    assert "at the instant danger of damage enjoys" in clean.text
    assert_offsets_map_back(raw, clean)
    url_start = raw.index(url)
    assert any(s.role == "boilerplate" and s.start <= url_start < s.end for s in clean.segments)
    i = clean.text.index("danger of damage")
    s, e = clean.original_span(i, i + len("danger of damage"))
    assert raw[s:e] == "danger of " + url + " damage"


@needs_corpus
def test_bullets_are_dropped_and_list_items_kept_as_paragraphs():
    clean = clean_text(seed("002"))
    lines = clean.text.split("\n")
    assert "•" not in clean.text
    assert any(ln.startswith("In almost all children’s cases seen by inspectors") for ln in lines)
    clean1 = clean_text(seed("001"))
    assert "Leaders are aware that practice is not consistently safe enough for too many children in Torbay and are " \
           "working diligently to address the significant deficits." in clean1.text.split("\n")


# --------------------------------------------------------------------------- real reports


@needs_corpus
def test_no_false_comments_and_no_page_furniture_in_100_reports():
    rows = report_sample()
    assert len(rows) >= 95
    for row in rows:
        raw = row["text"]
        clean = clean_text(raw)
        assert clean.comment_start is None, row["id"]
        assert_offsets_map_back(raw, clean)
        lines = clean.text.split("\n")
        assert not [ln for ln in lines if re.fullmatch(r"\d{1,3}", ln)], row["id"]
        assert "Crown copyright" not in clean.text, row["id"]
        assert "Piccadilly Gate" not in clean.text, row["id"]
        # broken lines were rejoined: far fewer lines than the raw text
        assert len(lines) < 0.5 * raw.count("\n"), row["id"]


@needs_corpus
def test_report_running_header_removed_and_paragraph_rejoined():
    (row,) = [r for r in report_sample() if r["id"] == "2532283_dorset_2021-11-19"]
    clean = clean_text(row["text"])
    lines = clean.text.split("\n")
    assert lines[0] == "Inspection of Dorset local authority children’s services"
    assert sum(ln.startswith("Inspection of Dorset local authority") for ln in lines) == 1
    assert "Services for children and families in Dorset are of good quality and are continuing to improve. The " \
           "senior leadership team is an impressive" in clean.text
    assert "Overall effectiveness Good" in lines


# --------------------------------------------------------------------------- hand-made inputs


def test_explicit_comment_section():
    raw = (
        "Ofsted has rated Bury council inadequate after an inspection found serious failings in the front door.\n"
        "The council said it accepted the findings and would act quickly.\n"
        "3 comments\n"
        "Jane Smith says:\n"
        "5 March 2019 at 10:15 am\n"
        "About time someone looked at this properly.\n"
        "Reply\n"
        "Tom says:\n"
        "I agree with Jane, this has been going on for years!\n"
        "Log in to reply\n"
    )
    clean = clean_text(raw)
    assert_offsets_map_back(raw, clean)
    assert clean.comment_start is not None
    assert clean.text[clean.comment_start:].startswith("Jane Smith says:")
    assert body_text(clean).endswith("would act quickly.")
    assert "3 comments" not in clean.text and "Reply" not in clean.text and "Log in" not in clean.text


def test_trailing_opinion_paragraph_is_a_comment_but_reporting_is_not():
    base = (
        "Ofsted has rated Bury council inadequate after an inspection found serious failings in the front door.\n"
        "The council said it accepted the findings and would act quickly, according to a statement.\n"
    )
    opinion = "Why does nobody ever get sacked when this happens? I have seen this in my own council for years!!\n"
    assert clean_text(base + opinion).comment_start == len(base)
    fact = "The council will be re-inspected next year, when it expects to have completed its improvement plan.\n"
    assert clean_text(base + fact).comment_start is None
    quote = "“Why does nobody ever get sacked? I have seen this for years,” said one councillor.\n"
    assert clean_text(base + quote).comment_start is None


def test_report_says_line_is_not_a_comment_header():
    raw = ("Inspectors visited the council in March and found that work was improving across teams.\n"
           "The report says:\n"
           "Children are seen quickly and plans are clear and well reviewed by managers.\n")
    assert clean_text(raw).comment_start is None


def test_boilerplate_lines_and_inline_urls():
    raw = ("The council said risk is not https://spam.example.com/x?y=1 assessed quickly enough.\n"
           "Share this article\nRelated articles\nWe use cookies to improve your experience.\n"
           "Website design by Acme | Privacy policy and terms\nAll rights reserved © 2020\n")
    clean = clean_text(raw)
    assert clean.text == "The council said risk is not assessed quickly enough."
    assert_offsets_map_back(raw, clean)
    assert [s.role for s in clean.segments] == ["body", "boilerplate", "body", "boilerplate"]


def test_whitespace_normalised_and_paragraph_breaks_kept():
    raw = "  First   paragraph\twith  gaps.  \r\n\r\n\r\nSecond paragraph.\n"
    clean = clean_text(raw)
    assert clean.text == "First paragraph with gaps.\nSecond paragraph."
    assert_offsets_map_back(raw, clean)
    s, e = clean.original_span(0, 5)
    assert raw[s:e] == "First"


def test_hard_wrapped_text_is_unwrapped():
    raw = (
        "Inspection of Exampleshire children’s services\n"
        "Children who need help receive a timely response from social workers who know\n"
        "them well, and most plans are reviewed regularly by managers who understand\n"
        "the risks. Leaders have a clear understanding of the strengths and areas for\n"
        "development in the service and act quickly on what they learn from audits.\n"
        "12\n"
        "1. Thresholds are well understood by partners. Decisions are made promptly\n"
        "and are well recorded in the well-\n"
        "established case recording system.\n"
        "2. Strategy meetings are timely.\n"
    )
    clean = clean_text(raw)
    assert_offsets_map_back(raw, clean)
    assert clean.text.split("\n") == [
        "Inspection of Exampleshire children’s services",
        "Children who need help receive a timely response from social workers who know them well, and most plans are "
        "reviewed regularly by managers who understand the risks. Leaders have a clear understanding of the "
        "strengths and areas for development in the service and act quickly on what they learn from audits.",
        "1. Thresholds are well understood by partners. Decisions are made promptly and are well recorded in the "
        "well-established case recording system.",
        "2. Strategy meetings are timely.",
    ]


def test_reflow_lines_helper():
    text = reflow_lines(["Judgement Grade", "The experiences and progress of", "children in care", "Good", "",
                         "Overall effectiveness Good"])
    assert text.split("\n") == ["Judgement Grade", "The experiences and progress of children in care", "Good",
                                "Overall effectiveness Good"]


def test_empty_input():
    clean = clean_text("")
    assert clean.text == "" and clean.offsets == [] and clean.comment_start is None
