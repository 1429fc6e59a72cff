"""Tests for retrieval.loaders on the real corpus and on hand-made bad files."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from retrieval.loaders import derive_title, load_paths, normalise_date

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = CORPUS / "seeds"
REPORTS = CORPUS / "ofsted" / "reports.jsonl"
PDFS = CORPUS / "ofsted" / "pdf"
DARLINGTON_2015 = PDFS / "80458_darlington_01-september-2015.pdf"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")


@lru_cache(maxsize=None)
def _load(*paths: str):
    return load_paths(list(paths))


def _only_issue(issues, fragment: str) -> str:
    assert len(issues) == 1, issues
    msg = issues[0].message
    assert fragment.lower() in msg.lower(), msg
    return msg


# --------------------------------------------------------------------------- real corpus


@needs_corpus
def test_seed_articles_load_exactly_as_in_file():
    docs, issues = _load(str(SEEDS))
    assert issues == []
    assert [d.id for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for d in docs:
        original = (SEEDS / f"{d.id}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
        assert d.text == original
        assert d.path and d.path.endswith(".txt")
        assert d.title
    by_id = {d.id[:3]: d for d in docs}
    assert by_id["002"].title == "Principal social worker role praised at ‘inadequate’ children’s services"
    assert by_id["000"].title.endswith("…") and by_id["000"].title.startswith("A local authority has been rated")
    assert len(by_id["004"].title.rstrip("…").split()) == 12


@needs_corpus
def test_reports_jsonl_loads_all_493_as_is():
    docs, issues = _load(str(REPORTS))
    assert issues == []
    assert len(docs) == 493
    first = json.loads(REPORTS.open(encoding="utf-8").readline())
    d0 = docs[0]
    assert d0.id == first["id"]
    assert d0.text == first["text"]
    assert d0.date == first["publication_date"]
    assert d0.source == first["source_path"]
    assert d0.extra["local_authority"] == first["local_authority"]
    assert d0.extra["urn"] == first["urn"]
    assert "text" not in d0.extra and "id" not in d0.extra
    assert d0.title.startswith("Inspection of Dorset local authority children")
    assert len({d.id for d in docs}) == 493


@needs_corpus
def test_darlington_2015_pdf_is_clean_and_reflowed():
    docs, issues = _load(str(PDFS))
    assert issues == []
    (doc,) = [d for d in docs if d.path == str(DARLINGTON_2015)]
    assert doc.id == "80458_darlington_01-september-2015"
    assert doc.date == "2015-09-01"
    assert "Darlington" in doc.title and "Inspection of services for children in need of help" in doc.title
    lines = doc.text.split("\n")
    assert not [ln for ln in lines if re.fullmatch(r"\s*(?:page\s*)?\d{1,3}\s*", ln, re.I)]
    # paragraphs were rejoined: a sentence broken over two PDF lines is one line now
    assert "Children’s services in Darlington Borough Council are inadequate" in doc.text
    assert "There are widespread or serious failures that create or leave children being harmed or at risk of harm." \
        in lines
    assert len(lines) < 400  # ~44 pages of paragraphs, not thousands of broken lines


@needs_corpus
def test_all_report_pdfs_load_without_page_furniture():
    docs, issues = _load(str(PDFS))
    assert issues == []
    assert len(docs) == 12
    for doc in docs:
        assert doc.extra["format"] == "pdf"
        assert doc.title
        lines = [ln.strip() for ln in doc.text.split("\n")]
        assert not [ln for ln in lines if re.fullmatch(r"\d{1,3}", ln)], doc.id
        # no running header repeated on every page (grade lines such as "Requires improvement to be good" may repeat)
        assert max(lines.count(ln) for ln in lines if len(ln) > 40) <= 2, doc.id
        assert sum(ln.startswith("Inspection of ") for ln in lines) <= 2, doc.id


# --------------------------------------------------------------------------- bad files, one by one


def test_non_utf8_text_is_refused_with_advice(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 culture in Bury council".encode("latin-1"))
    docs, issues = load_paths([tmp_path])
    assert docs == []
    msg = _only_issue(issues, "UTF-8")
    assert "re-save" in msg.lower()


def test_empty_and_whitespace_files_are_refused(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("   \n\t\n", encoding="utf-8")
    docs, issues = load_paths([tmp_path])
    assert docs == []
    assert len(issues) == 2
    assert all("empty" in i.message for i in issues)


def test_binary_file_is_refused(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    docs, issues = load_paths([tmp_path])
    assert docs == []
    _only_issue(issues, "binary")


def test_oversized_file_is_refused(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 100, encoding="utf-8")
    docs, issues = load_paths([tmp_path], max_bytes=100)
    assert docs == []
    msg = _only_issue(issues, "too large")
    assert "limit" in msg


def test_unsupported_extension_is_refused(tmp_path):
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04 not really a docx")
    docs, issues = load_paths([tmp_path])
    assert docs == []
    msg = _only_issue(issues, "unsupported file type .docx")
    assert ".pdf" in msg and ".txt" in msg


def test_bad_jsonl_lines_are_refused_one_by_one(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "Ofsted rated Bury council good.", "title": "A", "url": "https://x/a"}),
        '{"id": "b", "text": "broken',
        json.dumps({"id": "c", "body": "no text field here"}),
        json.dumps({"text": "A line with no id gets one from the file name.", "date": "2020-01-02", "urn": 5}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "e", "text": "   "}),
    ]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, issues = load_paths([tmp_path / "batch.jsonl"])
    assert [d.id for d in docs] == ["a", "batch-4"]
    assert docs[0].title == "A" and docs[0].source == "https://x/a"
    assert docs[1].date == "2020-01-02" and docs[1].extra["urn"] == 5
    messages = {i.source.rsplit(":", 1)[1]: i.message for i in issues}
    assert set(messages) == {"2", "3", "5", "6"}
    assert "line 2" in messages["2"] and "malformed JSON" in messages["2"]
    assert '"text"' in messages["3"]
    assert "object" in messages["5"]
    assert "empty" in messages["6"]


def test_pdf_problems_are_refused(tmp_path):
    from pypdf import PdfWriter

    blank = PdfWriter()
    blank.add_blank_page(width=200, height=200)
    with (tmp_path / "scanned.pdf").open("wb") as f:
        blank.write(f)
    locked = PdfWriter()
    locked.add_blank_page(width=200, height=200)
    locked.encrypt(user_password="secret", owner_password="owner")
    with (tmp_path / "locked.pdf").open("wb") as f:
        locked.write(f)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf at all\n")
    docs, issues = load_paths([tmp_path])
    assert docs == []
    by_name = {Path(i.source).name: i.message for i in issues}
    assert "no extractable text" in by_name["scanned.pdf"]
    assert "encrypted" in by_name["locked.pdf"]
    assert "not a readable PDF" in by_name["broken.pdf"]


def test_damaged_pdfs_print_no_raw_pypdf_warnings(tmp_path, capfd, caplog):
    """pypdf's own warnings ("incorrect startxref pointer", "EOF marker not found") never reach the user: each
    damaged file is one clear refusal."""
    import io
    import logging

    from pypdf import PdfWriter

    logging.getLogger("pypdf").setLevel(logging.NOTSET)  # as in a fresh process, before the loader has run
    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    w.write(buf)
    data = buf.getvalue()
    (tmp_path / "badxref.pdf").write_bytes(data[: data.rindex(b"startxref")] + b"startxref\n99999\n%%EOF\n")
    (tmp_path / "noeof.pdf").write_bytes(data[: data.rindex(b"%%EOF")])
    (tmp_path / "half.pdf").write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        docs, issues = load_paths([tmp_path])
    assert docs == []
    by_name = {Path(i.source).name: i.message for i in issues}
    assert set(by_name) == {"badxref.pdf", "noeof.pdf", "half.pdf"}
    assert "no extractable text" in by_name["badxref.pdf"]
    assert "not a readable PDF" in by_name["noeof.pdf"] and "not a readable PDF" in by_name["half.pdf"]
    err = capfd.readouterr().err
    assert "startxref" not in err and "EOF marker" not in err
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")] == []


def test_malformed_jsonl_message_reads_cleanly(tmp_path):
    """The JSON parser's "... at" is not doubled ("at at column"), and the column is on the line named."""
    (tmp_path / "b.jsonl").write_text('{"id": "a" "text": "x"}\n{"id": "c",\n', encoding="utf-8")
    _, issues = load_paths([tmp_path / "b.jsonl"])
    messages = [i.message for i in issues]
    assert len(messages) == 2 and not any("at at" in m for m in messages)
    assert "Expecting ',' delimiter, column 12" in messages[0]
    assert "line 2" in messages[1] and "column 12" in messages[1]


def test_rest_of_batch_still_loads_and_missing_paths_are_reported(tmp_path):
    (tmp_path / "good.txt").write_text("Tameside rated inadequate\nThe council said it would improve.\n",
                                       encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    (tmp_path / ".hidden.txt").write_text("should be skipped", encoding="utf-8")
    docs, issues = load_paths([tmp_path, tmp_path / "nope.txt"])
    assert [d.id for d in docs] == ["good"]
    assert docs[0].title == "Tameside rated inadequate"
    assert len(issues) == 2
    assert any("not found" in i.message for i in issues)


def test_sidecar_json_gives_title_source_date_and_is_not_a_document(tmp_path):
    (tmp_path / "story.txt").write_text("Body text of the story, which is long enough to be an article.\n",
                                        encoding="utf-8")
    (tmp_path / "story.json").write_text(json.dumps({"title": "Real headline", "source": "https://example.org/s",
                                                     "date": "5 March 2019"}), encoding="utf-8")
    docs, issues = load_paths([tmp_path])
    assert issues == []
    (doc,) = docs
    assert (doc.title, doc.source, doc.date) == ("Real headline", "https://example.org/s", "2019-03-05")


def test_crlf_is_normalised_but_text_otherwise_kept(tmp_path):
    raw = "  Headline here\r\n\r\nFirst para.  Two  spaces kept.\r\n"
    (tmp_path / "crlf.txt").write_bytes(raw.encode("utf-8"))
    docs, _ = load_paths([tmp_path])
    assert docs[0].text == raw.replace("\r\n", "\n")


def test_html_markup_is_stripped_into_paragraph_lines(tmp_path):
    html = """<!DOCTYPE html><html><head><title>Bury rated | Site</title>
    <meta property="article:published_time" content="2019-03-05T10:00:00Z">
    <link rel="canonical" href="https://example.org/bury"><style>p{color:red}</style></head>
    <body><nav><a href="/">Home</a></nav><script>var tracking = 1;</script>
    <article><h1>Ofsted rates Bury inadequate</h1>
    <p>Bury council's children's services were rated
       'inadequate', the   watchdog said.</p><p>Inspectors found <b>serious</b> failings.</p></article>
    <footer>Copyright 2019 Site</footer></body></html>"""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    docs, issues = load_paths([tmp_path])
    assert issues == []
    (doc,) = docs
    assert doc.text.split("\n") == [
        "Ofsted rates Bury inadequate",
        "Bury council's children's services were rated 'inadequate', the watchdog said.",
        "Inspectors found serious failings.",
    ]
    assert doc.title == "Ofsted rates Bury inadequate"
    assert doc.date == "2019-03-05" and doc.source == "https://example.org/bury"


def test_duplicate_ids_are_reported(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("One story about Tameside.\n", encoding="utf-8")
    (tmp_path / "b" / "same.md").write_text("# Another\nStory about Bury.\n", encoding="utf-8")
    docs, issues = load_paths([tmp_path])
    assert len(docs) == 1
    _only_issue(issues, "already used")


def test_title_and_date_helpers():
    assert derive_title("# Markdown headline\nBody.", markdown=True) == "Markdown headline"
    assert derive_title("one two three four five six seven eight nine ten eleven twelve thirteen.") == (
        "one two three four five six seven eight nine ten eleven twelve…"
    )
    assert normalise_date("2019-07-01T09:00:00Z") == "2019-07-01"
    assert normalise_date("1 September 2015") == "2015-09-01"
    assert normalise_date("01/07/2019") == "2019-07-01"
    assert normalise_date("2019") == "2019"
    assert normalise_date("soon") is None
