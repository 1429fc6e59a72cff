"""Every way an index on disk can be broken (issue 11), through `brief search` and `brief list`: a message naming the
problem and the command that fixes it, exit status 2, no traceback. And a real kill -9 in the middle of a snapshot
write leaves the previous index loadable. The embedder is the counting stand-in (tests/retrieval/counting_embedder.py).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.store import CURRENT, IndexStore
from tests.conftest import REPO
from tests.fakes import COUNCILS, counting_service, run_brief, use_counting_embedder, write_articles
from ui.cli import main

NO_INDEX = ("No index at", "brief ingest --index")
UNREADABLE = ("is unreadable", "brief ingest --rebuild")
CORRUPT = ("is corrupt", "brief ingest --rebuild")
INCONSISTENT = ("is inconsistent", "brief ingest --rebuild")


def _snap(idx: Path) -> Path:
    return IndexStore(idx).current_dir()


def _manifest(idx: Path, **change) -> None:
    path = _snap(idx) / "manifest.json"
    m = json.loads(path.read_text())
    for k, v in change.items():
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    path.write_text(json.dumps(m))


def _cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _one_row_fewer(idx: Path) -> None:
    path = _snap(idx) / "vectors.npy"
    np.save(path, np.load(path)[:-1])


# Each variant: what is broken, how to break it, and what the message must say (the problem, then what to do).
VARIANTS = {
    "no CURRENT pointer": (lambda idx: (idx / CURRENT).unlink(), NO_INDEX),
    "CURRENT is a folder": (lambda idx: ((idx / CURRENT).unlink(), (idx / CURRENT).mkdir()), NO_INDEX),
    "CURRENT names a missing snapshot": (lambda idx: (idx / CURRENT).write_text("20990101T000000-deadbeef\n"),
                                         UNREADABLE),
    "CURRENT is empty": (lambda idx: (idx / CURRENT).write_text(""), UNREADABLE),
    "CURRENT points outside the index": (lambda idx: (idx / CURRENT).write_text("../../../etc\n"), UNREADABLE),
    "CURRENT is not text": (lambda idx: (idx / CURRENT).write_bytes(b"\xff\xfe\x00garbage\x9c"), UNREADABLE),
    "snapshot folder deleted": (lambda idx: shutil.rmtree(_snap(idx)), UNREADABLE),
    "manifest missing": (lambda idx: (_snap(idx) / "manifest.json").unlink(), UNREADABLE),
    "manifest is not JSON": (lambda idx: (_snap(idx) / "manifest.json").write_text('{"format": 1, "chunks": '),
                             UNREADABLE),
    "manifest is not an object": (lambda idx: (_snap(idx) / "manifest.json").write_text("[1, 2, 3]"), UNREADABLE),
    "format version from the future": (lambda idx: _manifest(idx, format=999), ("has format 999", "brief ingest")),
    "format version missing": (lambda idx: _manifest(idx, format=None), ("has format None", "brief ingest")),
    "built with another embedder": (lambda idx: _manifest(idx, embed_model="someone/other-model"),
                                    ("was built with someone/other-model", "brief ingest --rebuild")),
    "vectors of another size": (lambda idx: _manifest(idx, dim=384), ("(384-d)", "brief ingest --rebuild")),
    "metadata database missing": (lambda idx: (_snap(idx) / "meta.sqlite").unlink(), CORRUPT),
    "metadata database damaged": (lambda idx: (_snap(idx) / "meta.sqlite").write_bytes(b"SQLite format 3\x00" * 64),
                                  CORRUPT),
    "vectors file cut off": (lambda idx: _cut(_snap(idx) / "vectors.npy", 60), CORRUPT),
    "vectors file missing": (lambda idx: (_snap(idx) / "vectors.npy").unlink(), CORRUPT),
    "FAISS index cut off": (lambda idx: _cut(_snap(idx) / "vectors.faiss", 50), CORRUPT),
    "FAISS index missing": (lambda idx: (_snap(idx) / "vectors.faiss").unlink(), CORRUPT),
    "BM25 index missing": (lambda idx: shutil.rmtree(_snap(idx) / "bm25"), CORRUPT),
    "manifest counts other passages": (lambda idx: _manifest(idx, chunks=99999), INCONSISTENT),
    "vectors one row short": (_one_row_fewer, INCONSISTENT),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A small index built once through the CLI; each case breaks a copy."""
    root = tmp_path_factory.mktemp("corrupt")
    write_articles(root / "articles", COUNCILS[:3])
    with pytest.MonkeyPatch.context() as mp:
        use_counting_embedder(mp)
        assert main(["ingest", "--json", "--index", str(root / "idx"), str(root / "articles")]) == 0
    return root / "idx"


@pytest.fixture()
def fake_embedder(monkeypatch):
    use_counting_embedder(monkeypatch)


@pytest.mark.parametrize("command", [["search", "Torbay assessments"], ["list"]], ids=["search", "list"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_corrupt_index_variant_is_a_clear_error(pristine, tmp_path, fake_embedder, capsys, variant, command):
    idx = tmp_path / "idx"
    shutil.copytree(pristine, idx)
    assert main([command[0], "--index", str(idx), *command[1:]]) == 0  # sound before the damage
    capsys.readouterr()
    breaks, (problem, remedy) = VARIANTS[variant]
    breaks(idx)
    assert main([command[0], "--index", str(idx), *command[1:]]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("brief: ") and problem in out.err and remedy in out.err, out.err
    assert str(idx) in out.err and "Traceback" not in out.err and not out.out


def test_corrupt_index_from_the_real_command_line(pristine, tmp_path):
    """The same in a fresh process (ui.cli.main, the console script's function): the message, no traceback."""
    idx = tmp_path / "idx"
    shutil.copytree(pristine, idx)
    _cut(_snap(idx) / "vectors.faiss", 50)
    out = run_brief(["search", "--index", str(idx), "Torbay"])
    assert out.returncode == 2 and "is corrupt" in out.stderr and "brief ingest --rebuild" in out.stderr
    assert "Traceback" not in out.stderr


# --- kill -9 in the middle of a snapshot write ---------------------------------------------------------------------

# Where the child kills itself: while the metadata database is written, while the FAISS index is written, and after
# the new snapshot folder is complete and renamed but before CURRENT is repointed at it.
KILL_POINTS = {
    "sqlite": "store._write_sqlite = die",
    "faiss": "faiss.write_index = die",
    "before the pointer moves": "store._fsync_dir = lambda p, real=store._fsync_dir: "
                                "die() if p.name == 'snapshots' else real(p)",
}

_KILL_CHILD = """
import os, signal, sys
from pathlib import Path
import faiss
import retrieval.store as store
from tests.fakes import counting_service

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no finally blocks

{patch}
counting_service(Path(sys.argv[1])).ingest([Path(sys.argv[2])])
"""


@pytest.mark.parametrize("where", list(KILL_POINTS))
def test_kill_9_during_the_snapshot_write_leaves_the_previous_index(pristine, tmp_path, fake_embedder, capsys, where):
    idx = tmp_path / "idx"
    shutil.copytree(pristine, idx)
    before = IndexStore(idx).current_name()
    docs_before = sorted(d.id for d in counting_service(idx).documents())
    more = tmp_path / "more"
    write_articles(more, COUNCILS[3:], tag="new")
    child = subprocess.run([sys.executable, "-c", _KILL_CHILD.format(patch=KILL_POINTS[where]), str(idx), str(more)],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr
    assert len(list((idx / "snapshots").iterdir())) == 2  # the half-written (or not yet current) snapshot is left
    assert IndexStore(idx).current_name() == before  # CURRENT never moved
    assert sorted(d.id for d in counting_service(idx).documents()) == docs_before
    assert main(["search", "--index", str(idx), "Torbay assessments"]) == 0
    assert main(["ingest", "--json", "--index", str(idx), str(more)]) == 0  # the next write succeeds
    assert len(counting_service(idx).documents()) == len(docs_before) + len(COUNCILS[3:])
    assert [p.name for p in (idx / "snapshots").iterdir()] == [IndexStore(idx).current_name()]  # leftovers cleared
    assert "Traceback" not in capsys.readouterr().err
