"""Exports of a briefing, the digest and one summary: Markdown and standalone HTML whose citations quote the source."""
from __future__ import annotations

import html
import re

import pytest

from tests.conftest import DARLINGTON, TAMESIDE
from tests.ui.test_web_views import seed_summaries
from ui.cli import main


@pytest.fixture()
def svc(index_copy):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    s = BriefService(Settings.from_env(index_copy))
    seed_summaries(s, hostile=True)
    return s


def _sources(page: str) -> list[tuple[str, str]]:
    """(document id, marked words) of every entry in an HTML export's Sources list."""
    out = []
    for m in re.finditer(r"<li id='src-\d+'>.*?\(([^,]+), characters (\d+)–(\d+)\).*?<mark>(.*?)</mark>", page, re.S):
        out.append((html.unescape(m.group(1)), html.unescape(m.group(4))))
    return out


@pytest.mark.parametrize("what,name", [("council", "Darlington"), ("digest", None), ("summary", DARLINGTON)])
def test_html_citations_resolve_to_the_source_text(svc, what, name):
    page = svc.export(what, "html", name)
    assert page.startswith("<!doctype html>") and "<script" not in page  # the hostile seed's markup is escaped
    refs = set(re.findall(r"href='#src-(\d+)'", page))
    srcs = _sources(page)
    assert refs and len(srcs) == len(refs)
    for doc_id, words in srcs:
        assert words and " ".join(words.split()) in " ".join(svc.document(doc_id).text.split())


def test_markdown_footnotes_quote_the_cited_words(svc):
    md = svc.export("summary", "md", TAMESIDE)
    notes = re.findall(r"^\[\^(\d+)\]: .*?“(.*)”$", md, re.M)
    assert notes and all(f"[^{n}]" in md.split("[^1]:")[0] for n, _ in notes)
    text = " ".join(svc.document(TAMESIDE).text.split())
    assert all(q in text for _, q in notes)


def test_cli_writes_exports_and_refuses_a_missing_summary(svc, tmp_path, capsys):
    out = tmp_path / "darlington.html"
    assert main(["council", "Darlington", "--index", str(svc.index_dir), "--export", str(out)]) == 0
    assert "Darlington" in out.read_text() and "<h2>Sources</h2>" in out.read_text()
    md = tmp_path / "digest.md"
    assert main(["digest", "--index", str(svc.index_dir), "--export", str(md)]) == 0
    assert md.read_text().startswith("# Digest")
    assert main(["summary", "nope", "--index", str(svc.index_dir), "--export", str(tmp_path / "x.md")]) == 2
    assert "no stored summary" in capsys.readouterr().err.lower()
