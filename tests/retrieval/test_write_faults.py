"""A read-only index directory or a full disk: IndexWriteError naming the problem, and the index unchanged.

Permissions (chmod) stop writes only for a user other than root, so the read-only case is tested with chmod when
the tests run as another user and by an OSError(EROFS) injected at the write point when they run as root. A full
disk is injected at each write point (ENOSPC, SQLite's "database or disk is full", numpy's errno-less short write)
and, where this machine lets the tests mount one, made real with a small tmpfs.
"""
from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

import retrieval.pipeline as pipeline
import retrieval.store as store_mod
from retrieval.store import IndexStore
from retrieval.write_errors import IndexWriteError, WriteProblem
from tests.retrieval.counting_embedder import CountingEmbedder, ingest, load, write_corpus


@pytest.fixture()
def index(tmp_path) -> Path:
    """A small index of one article, and a second corpus to add to it."""
    write_corpus(tmp_path / "base", n_docs=1, sentences=4)
    write_corpus(tmp_path / "more", n_docs=2)
    idx = tmp_path / "idx"
    ingest(idx, [tmp_path / "base"], CountingEmbedder())
    return idx


def assert_unchanged(idx: Path, current: str) -> None:
    store = IndexStore(idx)
    assert store.current_name() == current
    assert [p.name for p in (idx / "snapshots").iterdir()] == [current]  # no half-written snapshot left
    assert set(load(idx).documents) == {"doc0"}


def _short_write(*a, **k):
    raise OSError("2204 requested and 992 written")  # what numpy raises when the disk fills mid-array


@pytest.mark.parametrize("target, error", [
    ("_write_sqlite", sqlite3.OperationalError("database or disk is full")),
    ("_write_sqlite", OSError(errno.ENOSPC, "No space left on device")),
    ("_write_sqlite", OSError(errno.EROFS, "Read-only file system")),
])
def test_snapshot_write_refused(index, tmp_path, monkeypatch, target, error):
    before = IndexStore(index).current_name()

    def refuse(*a, **k):
        raise error

    monkeypatch.setattr(store_mod, target, refuse)
    with pytest.raises(IndexWriteError) as got:
        ingest(index, [tmp_path / "more"], CountingEmbedder())
    expected = WriteProblem.READ_ONLY if getattr(error, "errno", None) == errno.EROFS else WriteProblem.DISK_FULL
    assert got.value.problem is expected
    assert str(index) in str(got.value) and "--index" in str(got.value) and "not changed" in str(got.value)
    monkeypatch.undo()
    assert_unchanged(index, before)


def _faiss_write_error(*a, **k):
    raise RuntimeError("Error in faiss::write_index: write error in vectors.faiss")  # FAISS on a full disk


@pytest.mark.parametrize("module, name, fail", [(np, "save", _short_write), (None, "write_index", _faiss_write_error)])
def test_errorless_write_failure_is_a_full_disk_only_when_the_disk_is_full(index, tmp_path, monkeypatch,
                                                                           module, name, fail):
    """numpy and FAISS say only that a write failed; the free space on the index's disk decides what it was."""
    import faiss

    before = IndexStore(index).current_name()
    monkeypatch.setattr(module or faiss, name, fail)
    monkeypatch.setattr("retrieval.write_errors.shutil.disk_usage", lambda p: type("U", (), {"free": 10})())
    with pytest.raises(IndexWriteError) as got:
        ingest(index, [tmp_path / "more"], CountingEmbedder())
    assert got.value.problem is WriteProblem.DISK_FULL and "disk is full" in str(got.value)
    # the same failure with plenty of room is not blamed on the disk: the original error passes through
    monkeypatch.setattr("retrieval.write_errors.shutil.disk_usage", lambda p: type("U", (), {"free": 10 << 30})())
    with pytest.raises((OSError, RuntimeError)) as raw:
        ingest(index, [tmp_path / "more"], CountingEmbedder())
    assert not isinstance(raw.value, IndexWriteError)
    monkeypatch.undo()
    assert_unchanged(index, before)


def test_full_disk_while_checkpointing_keeps_the_index(index, tmp_path, monkeypatch):
    before = IndexStore(index).current_name()
    real_replace = os.replace

    def full(src, dst):
        if "ingest-checkpoint" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr("retrieval.checkpoint.os.replace", full)
    with pytest.raises(IndexWriteError) as got:
        ingest(index, [tmp_path / "more"], CountingEmbedder())
    assert got.value.problem is WriteProblem.DISK_FULL
    monkeypatch.undo()
    assert_unchanged(index, before)
    assert not list((index / "ingest-checkpoint").glob(".*.tmp"))


def test_read_only_lock_file(index, tmp_path, monkeypatch):
    """Root ignores permissions, so the refusal is injected where the lock file is opened."""
    before = IndexStore(index).current_name()

    def read_only(path, mode="r", *a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(pipeline, "open", read_only, raising=False)
    with pytest.raises(IndexWriteError) as got:
        ingest(index, [tmp_path / "more"], CountingEmbedder())
    assert got.value.problem is WriteProblem.READ_ONLY and "read-only" in str(got.value)
    monkeypatch.undo()
    assert_unchanged(index, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions (see the injected case)")
def test_read_only_directory_by_permissions(index, tmp_path):
    before = IndexStore(index).current_name()
    for p in [index, *index.rglob("*")]:
        if p.is_dir():
            p.chmod(0o555)
    try:
        with pytest.raises(IndexWriteError) as got:
            ingest(index, [tmp_path / "more"], CountingEmbedder())
        assert got.value.problem is WriteProblem.READ_ONLY
    finally:
        for p in [index, *index.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
    assert_unchanged(index, before)


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 160 KB tmpfs (needs root with mount rights; skipped elsewhere)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root, or no mount rights)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_real_full_disk(tiny_disk, tmp_path):
    write_corpus(tmp_path / "base", n_docs=1, sentences=4)
    idx = tiny_disk / "idx"
    ingest(idx, [tmp_path / "base"], CountingEmbedder())
    before = IndexStore(idx).current_name()
    big = tmp_path / "big"
    big.mkdir()
    (big / "long.txt").write_text("Report\n\n" + " ".join(f"Finding {i} about casework quality." for i in range(6000)))
    with pytest.raises(IndexWriteError) as got:
        ingest(idx, [big], CountingEmbedder())
    assert got.value.problem is WriteProblem.DISK_FULL
    assert_unchanged(idx, before)
