"""`brief ingest` from the command line: bad files are refused one by one, the rest goes in, nothing is lost."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def brief(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=600)


def test_bad_files_refused_rest_ingested(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("Ofsted rated Slough children's services good after inspectors praised its leaders.\n")
    (src / "latin1.txt").write_bytes("Caf\xe9 culture in Torbay".encode("latin-1"))
    (src / "empty.md").write_text("   \n")
    (src / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (src / "table.xlsx").write_bytes(b"PK\x03\x04")
    idx = tmp_path / "idx"
    out = brief("ingest", "--index", str(idx), "--json", str(src))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == ["good"]
    refused = {r["source"].rsplit("/", 1)[-1]: r["message"] for r in report["refused"]}
    assert set(refused) == {"latin1.txt", "empty.md", "blob.txt", "table.xlsx"}
    assert "UTF-8" in refused["latin1.txt"]
    before = (idx / "CURRENT").read_text()
    only_bad = brief("ingest", "--index", str(idx), str(src / "blob.txt"))
    assert only_bad.returncode == 1 and "blob.txt" in only_bad.stderr
    assert (idx / "CURRENT").read_text() == before
    missing = brief("ingest", "--index", str(idx), str(tmp_path / "nope"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    found = brief("search", "--index", str(idx), "--json", "Slough leaders")
    assert json.loads(found.stdout)["hits"][0]["article_id"] == "good"
