"""The real index over data/articles: persistence, incremental updates, atomic writes, hybrid search."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from retrieval.store import IndexCorrupt, IndexStore
from summarizer.service import BriefService
from summarizer.settings import Settings

from tests.conftest import ARTICLES, DARLINGTON, REPO, TAMESIDE, TORBAY_2015, TORBAY_2019, WORCESTERSHIRE

pytestmark = pytest.mark.index


def svc(root) -> BriefService:
    return BriefService(Settings.from_env(root))


def test_index_holds_all_articles_and_excludes_comments(service):
    docs = {d.id: d for d in service.documents()}
    assert set(docs) == {DARLINGTON, TAMESIDE, WORCESTERSHIRE, TORBAY_2015, TORBAY_2019}
    snap = service.retriever.snap
    assert all(c.role == "body" for c in snap.chunks)
    assert any(c.doc_id == DARLINGTON for c in snap.comments), "the reader comment is kept apart"
    assert not any("penulties" in c.text for c in snap.chunks)
    for c in snap.chunks:  # every chunk points back at the original words
        original = docs[c.doc_id].text[c.start:c.end]
        assert c.text[:20] == original[:20] and c.text[-10:] == original[-10:]


def test_reingest_unchanged_is_noop(index_copy):
    before = (index_copy / "CURRENT").read_text()
    report = svc(index_copy).ingest([ARTICLES])
    assert sorted(report.unchanged) == sorted([DARLINGTON, TAMESIDE, WORCESTERSHIRE, TORBAY_2015, TORBAY_2019])
    assert not report.added and not report.updated
    assert (index_copy / "CURRENT").read_text() == before


def test_changed_article_replaces_its_chunks_and_remove_deletes(index_copy, tmp_path):
    src = tmp_path / "arts"
    shutil.copytree(ARTICLES, src)
    f = src / f"{DARLINGTON}.txt"
    f.write_text(f.read_text() + "\nInspectors also praised the council's new zebrafish mentoring scheme.\n")
    s = svc(index_copy)
    report = s.ingest([src])
    assert report.updated == [DARLINGTON]
    hits = s.search("zebrafish mentoring scheme").hits
    assert hits and hits[0].chunk.doc_id == DARLINGTON
    n_before = len(s.retriever.snap.chunks)
    assert s.remove([DARLINGTON]).removed == [DARLINGTON]
    assert DARLINGTON not in {d.id for d in s.documents()}
    assert len(s.retriever.snap.chunks) < n_before
    assert s.remove(["nope"]).refused


def test_crash_mid_write_leaves_previous_index_usable(index_copy, tmp_path, monkeypatch):
    import retrieval.store as store_mod

    new = tmp_path / "new"
    new.mkdir()
    (new / "x.txt").write_text("Ofsted rated Slough children's services good in a new inspection report today.")
    before = (index_copy / "CURRENT").read_text()

    def boom(*a, **k):
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(store_mod.faiss if hasattr(store_mod, "faiss") else __import__("faiss"), "write_index", boom)
    with pytest.raises(KeyboardInterrupt):
        svc(index_copy).ingest([new])
    monkeypatch.undo()
    assert (index_copy / "CURRENT").read_text() == before
    assert not list((index_copy / "snapshots").glob(".tmp-*"))
    s = svc(index_copy)
    assert len(s.documents()) == 5
    assert s.search("Darlington assessments").hits


def test_corrupt_and_mismatched_index_detected(index_copy):
    store = IndexStore(index_copy)
    faiss_file = store.current_dir() / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexCorrupt, match="re-index|Re-index"):
        svc(index_copy).search("anything")
    manifest = store.current_dir() / "manifest.json"
    m = json.loads(manifest.read_text())
    m["format"] = 999
    manifest.write_text(json.dumps(m))
    with pytest.raises(IndexCorrupt, match="format"):
        svc(index_copy).search("anything")


def test_search_puts_named_council_first(service):
    res = service.search("Why was Darlington rated inadequate?")
    assert res.query_councils == ["Darlington"]
    assert res.hits and all(h.chunk.doc_id == DARLINGTON for h in res.hits)
    res = service.search("What did inspectors say about Redbridge?")
    assert res.hits[0].chunk.doc_id == TAMESIDE
    assert all("Redbridge" in h.chunk.councils for h in res.hits)


def test_council_filter_can_be_switched_off(service):
    """The evaluation baseline: with councils_from_query off, a named council no longer restricts the passages."""
    from retrieval.search import SearchFilters

    q = "Why was Darlington rated inadequate?"
    off = service.search(q, 8, SearchFilters(councils_from_query=False))
    assert off.query_councils == ["Darlington"]
    assert any(h.chunk.doc_id != DARLINGTON for h in off.hits)
    assert all(h.chunk.doc_id == DARLINGTON for h in service.search(q, 8).hits)
    # an explicit council filter still applies
    only = service.search(q, 8, SearchFilters(councils=["Torbay"], councils_from_query=False))
    assert only.hits and all("Torbay" in h.chunk.councils for h in only.hits)


def test_search_says_when_council_not_covered(service):
    res = service.search("Why was Slough rated inadequate?")
    assert res.missing_councils == ["Slough"]
    assert res.hits == []


def test_search_diversifies_across_articles(service):
    res = service.search("social workers caseloads recruitment", k=5)
    per_doc = {}
    for h in res.hits:
        per_doc[h.chunk.doc_id] = per_doc.get(h.chunk.doc_id, 0) + 1
    assert max(per_doc.values()) <= 2 and len(per_doc) >= 3


def test_hybrid_finds_exact_figures(service):
    res = service.search("61% return home interview")
    assert res.hits[0].chunk.doc_id == WORCESTERSHIRE and "61%" in res.hits[0].chunk.text


def test_cli_search_json_and_errors(built_index):
    brief = [sys.executable, "-m", "ui.cli"]
    out = subprocess.run(brief + ["search", "--index", str(built_index), "--json", "Torbay agency staff"],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["hits"][0]["article_id"] in (TORBAY_2015, TORBAY_2019) and data["hits"][0]["text"]
    bad = subprocess.run(brief + ["search", "--index", str(built_index.parent / "missing"), "x"],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert bad.returncode == 2 and "brief ingest" in bad.stderr
    empty = subprocess.run(brief + ["ask", "--index", str(built_index), ""], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert empty.returncode == 2 and "question" in empty.stderr


def test_year_in_query_lifts_documents_from_that_year(tmp_path):
    """Two reports about one council that differ only in date: the year a query names decides which comes first."""
    from retrieval.search import query_years

    assert query_years("What grade did Ofsted give Barnet in its May 2019 inspection?") == {2019}
    assert query_years("How many children (1200) were seen?") == set()
    body = ("Ofsted inspectors visited Barnet children's services. Inspectors found that caseloads for social workers "
            "were high and management oversight was weak in the front door service.\n")
    arts = tmp_path / "a"
    arts.mkdir()
    for name, day in (("barnet_a", "2016-03-01"), ("barnet_b", "2019-07-01")):
        (arts / f"{name}.txt").write_text(f"Barnet inspection\n\n{body}")
        (arts / f"{name}.json").write_text(json.dumps({"title": f"Barnet {name}", "date": day}))
    s = svc(tmp_path / "idx")
    s.ingest([arts])
    for year, first in ((2019, "barnet_b"), (2016, "barnet_a"), (2015, "barnet_a")):
        res = s.search(f"What did inspectors find about caseloads in Barnet in {year}?", 2)
        assert res.hits[0].chunk.doc_id == first, year
