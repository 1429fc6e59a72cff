"""The QA datasets obey the rules of eval/datasets/README.md (no model): every fact group has an alternative found
literally in the question's documents, no fact alternative is in its own question, ids are unique, and the fields
of each question type are present (councils for `councils`, absent for `partial`). The findings gold
(findings_gold.jsonl) has valid kinds, covers every article and ten or more reports, and its terms are in its documents.
The hand-labelled claims (answer_claims.jsonl) are well formed, have enough rows of each label, and their supported
verbatim claims and summary evidence spans are found in their evidence and documents."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from eval.qa.loading import load_qa
from tests.conftest import ARTICLES, OFSTED, REPO, TAMESIDE, need_shared

DATASETS = REPO / "eval" / "datasets"
DEV = DATASETS / "dev.jsonl"
REPORTS = DATASETS / "reports.jsonl"
TYPES = {"single", "multi", "unanswerable", "why", "councils", "compare", "partial"}
NEW_TYPES = {"why", "councils", "compare", "partial"}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def norm(text: str) -> str:
    """Lower case, curly quotes straightened, runs of whitespace (PDF line breaks included) as one space."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().lower()


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def report_texts() -> dict[str, str]:
    """Normalised text of every Ofsted report, by the `id` field that `brief ingest` gives it."""
    path = need_shared(OFSTED / "reports.jsonl")
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out[d["id"]] = norm(d["text"])
    return out


def article_text(doc_id: str) -> str:
    return norm((ARTICLES / f"{doc_id}.txt").read_text(encoding="utf-8"))


def doc_text(path: Path, doc_id: str) -> str:
    """The text of one of a question's documents: a bundled article for dev.jsonl, a report for reports.jsonl."""
    if path == DEV:
        assert (ARTICLES / f"{doc_id}.txt").is_file(), f"no article {doc_id}"
        return article_text(doc_id)
    texts = report_texts()
    assert doc_id in texts, f"no report {doc_id}"
    return texts[doc_id]


@pytest.mark.parametrize("path", [DEV, REPORTS], ids=["dev", "reports"])
def test_ids_unique_and_fields_per_type(path):
    qs = rows(path)
    ids = [q["id"] for q in qs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(load_qa(path)) == len(qs)  # every line loads, new optional fields included
    for q in qs:
        assert q["type"] in TYPES, q["id"]
        assert q.get("note"), f"{q['id']} has no note"
        assert q["answerable"] == (q["type"] != "unanswerable"), q["id"]
        assert bool(q["facts"]) == bool(q["docs"]) == q["answerable"], q["id"]
        assert isinstance(q.get("blind", False), bool), q["id"]
        assert ("councils" in q) == (q["type"] == "councils"), f"{q['id']}: councils field iff type councils"
        assert ("absent" in q) == (q["type"] == "partial"), f"{q['id']}: absent field iff type partial"
    for q in qs:
        if q["type"] == "councils":
            assert q["councils"] and len(q["facts"]) == len(q["councils"]), q["id"]
        if q["type"] == "partial":
            assert q["absent"].strip(), q["id"]
        if q["type"] == "why":
            assert 3 <= len(q["facts"]) <= 8, q["id"]


@pytest.mark.parametrize("path", [DEV, REPORTS], ids=["dev", "reports"])
def test_every_fact_group_is_in_the_documents_and_not_in_the_question(path):
    problems = []
    for q in rows(path):
        text = " ".join(doc_text(path, d) for d in q["docs"])
        question = norm(q["question"])
        for group in q["facts"]:
            if not any(norm(a) in text for a in group):
                problems.append(f"{q['id']}: no alternative of {group} in {q['docs']}")
            problems += [f"{q['id']}: fact {a!r} is in the question" for a in group if norm(a) in question]
        problems += [f"{q['id']}: council {c!r} not in {q['docs']}" for c in q.get("councils", []) if norm(c) not in text]
    assert problems == []


def test_the_new_questions_cover_every_kind_in_both_files():
    dev, rep = rows(DEV), rows(REPORTS)
    new_dev = [q for q in dev if int(q["id"][1:]) >= 72]
    new_rep = [q for q in rep if int(q["id"][1:]) >= 25]
    assert len(new_dev) >= 26 and len(new_rep) >= 14
    for new in (new_dev, new_rep):
        assert NEW_TYPES | {"unanswerable"} <= {q["type"] for q in new}
    assert all(q["type"] in {"single", "multi", "unanswerable"} for q in dev + rep if q not in new_dev + new_rep)
    blind = [q for q in new_dev + new_rep if q.get("blind")]
    assert len(blind) == 15
    assert {q["id"][0] for q in blind} == {"q", "r"} and len({q["type"] for q in blind}) >= 4
    assert len({d for q in new_rep for d in q["docs"]}) >= 8


def test_report_questions_name_their_council_and_year():
    """Councils have several reports, so a single-report question names the council and a year."""
    for q in rows(REPORTS):
        if len(q["docs"]) == 1:
            council = q["docs"][0].split("_")[1].replace("-", " ")
            assert council in norm(q["question"]).replace("-", " "), q["id"]
            assert re.search(r"\b(19|20)\d\d\b", q["question"]), q["id"]


FINDINGS = DATASETS / "findings_gold.jsonl"
KINDS = {"weakness", "strength", "action", "figure", "person"}


def test_findings_gold_kinds_groups_and_coverage():
    """Every line is well formed, all five articles and at least ten reports are covered, article 004 has three councils."""
    gold = rows(FINDINGS)
    assert len({(g["doc"], g["council"]) for g in gold}) == len(gold), "duplicate doc and council"
    for g in gold:
        assert g["source"] in {"article", "report"}, g["doc"]
        assert g["council"].strip() and g["findings"], g["doc"]
        for f in g["findings"]:
            assert f["kind"] in KINDS, (g["doc"], f)
            assert f["text"].strip() and 1 <= len(f["terms"]) <= 3, (g["doc"], f["text"])
            assert all(group and all(a.strip() for a in group) for group in f["terms"]), (g["doc"], f["text"])
    articles = {g["doc"] for g in gold if g["source"] == "article"}
    assert articles == {p.stem for p in ARTICLES.glob("*.txt")}
    assert all((ARTICLES / f"{d}.txt").is_file() for d in articles)
    assert len({g["doc"] for g in gold if g["source"] == "report"}) >= 10
    assert {g["council"] for g in gold if g["doc"] == TAMESIDE} == {"Tameside", "North Tyneside", "Redbridge"}


def _findings_problems(source: str, text_of) -> list[str]:
    """Term groups with no alternative found literally in the document, and councils the document does not name."""
    problems = []
    for g in rows(FINDINGS):
        if g["source"] != source:
            continue
        text = text_of(g["doc"])
        if norm(g["council"]) not in text:
            problems.append(f"{g['doc']}: council {g['council']!r} not in the document")
        for f in g["findings"]:
            problems += [f"{g['doc']}: no alternative of {group} in the document" for group in f["terms"]
                         if not any(norm(a) in text for a in group)]
    return problems


def test_findings_gold_terms_are_in_the_articles():
    assert _findings_problems("article", article_text) == []


def test_findings_gold_terms_are_in_the_reports():
    texts = report_texts()  # skips when ../shared is missing

    def text_of(doc_id: str) -> str:
        assert doc_id in texts, f"no report {doc_id}"
        return texts[doc_id]

    assert _findings_problems("report", text_of) == []


CLAIMS = DATASETS / "answer_claims.jsonl"
CLAIM_FIELDS = {"id", "origin", "ref", "doc_ids", "claim", "evidence", "label", "kind", "note"}
SUPPORTED_KINDS = {"verbatim", "paraphrase", "merged"}
UNSUPPORTED_KINDS = {"true_uncited", "wrong_number", "wrong_name", "reversed_relation", "overstated",
                     "unsupported_detail", "other_error"}
CLAIM_KINDS = SUPPORTED_KINDS | UNSUPPORTED_KINDS | {"spun_wording"}  # spun_wording: either label
_STOP = set("the and for that with from this was were are has have had been its their they them his her she him who "
            "which what when where will would can could not but also into than then there these those our your you "
            "all any some such very more most much many over under about after before said says being".split())


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", norm(text)) if len(w) > 2 and w not in _STOP}


def test_answer_claims_fields_kinds_and_labels():
    """Unique ids, every field, a valid kind that agrees with the label, a note on every unsupported row, a
    non-empty evidence list, no citation markers left in the claim, and at least 200 rows with 60 of each label."""
    claims = rows(CLAIMS)
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for c in claims:
        assert set(c) == CLAIM_FIELDS, c.get("id")
        assert re.fullmatch(r"ac\d{3,}", c["id"]), c["id"]
        assert c["origin"] in {"answer", "summary"}, c["id"]
        assert c["kind"] in CLAIM_KINDS, c["id"]
        assert type(c["label"]) is int and c["label"] in (0, 1), c["id"]
        assert c["kind"] not in (UNSUPPORTED_KINDS if c["label"] else SUPPORTED_KINDS), f"{c['id']}: kind vs label"
        assert c["claim"].strip() and c["ref"].strip() and isinstance(c["note"], str), c["id"]
        assert not re.search(r"\[\d+(?:\s*,\s*\d+)*\]", c["claim"]), f"{c['id']}: citation marker in claim"
        assert c["doc_ids"] and all(isinstance(d, str) and d.strip() for d in c["doc_ids"]), c["id"]
        assert c["evidence"] and all(isinstance(e, str) and e.strip() for e in c["evidence"]), c["id"]
        if c["label"] == 0:
            assert c["note"].strip(), f"{c['id']}: unsupported row without a note"
    labels = [c["label"] for c in claims]
    assert len(claims) >= 200
    assert labels.count(0) >= 60 and labels.count(1) >= 60


def test_answer_claims_cover_both_origins_and_every_article():
    claims = rows(CLAIMS)
    assert {c["origin"] for c in claims} == {"answer", "summary"}
    docs = {d for c in claims for d in c["doc_ids"]}
    assert {p.stem for p in ARTICLES.glob("*.txt")} <= docs
    assert len({d for d in docs if not (ARTICLES / f"{d}.txt").is_file()}) >= 10  # the Ofsted reports


def test_supported_verbatim_claims_are_in_their_evidence():
    """A label-1 verbatim claim is a near copy: most of its content words are in the evidence given."""
    problems = []
    for c in rows(CLAIMS):
        if c["label"] == 1 and c["kind"] == "verbatim":
            words = content_words(c["claim"])
            found = words & content_words(" ".join(c["evidence"]))
            if not words or len(found) < 0.75 * len(words):
                problems.append(f"{c['id']}: {sorted(words - found)} not in the evidence")
    assert problems == []


def test_summary_claim_evidence_spans_are_in_their_documents():
    """Summary evidence is stored span text: every span is found in its article or report."""
    texts = report_texts()  # skips when ../shared is missing
    problems = []
    for c in rows(CLAIMS):
        if c["origin"] != "summary":
            continue
        (doc,) = c["doc_ids"]
        source = article_text(doc) if (ARTICLES / f"{doc}.txt").is_file() else texts.get(doc)
        assert source is not None, f"{c['id']}: no document {doc}"
        problems += [f"{c['id']}: span {e[:60]!r} not in {doc}" for e in c["evidence"] if norm(e) not in source]
    assert problems == []
