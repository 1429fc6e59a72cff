"""The CLI under faults: an unwritable or full index directory, a missing or damaged model file, a corrupt index.

Each is a message naming the problem and what to do, exit status 2, no traceback, and the index unchanged. The
embedder is a deterministic stand-in (tests/retrieval/counting_embedder.py), so no model runs; the read-only and
full-disk refusals are injected at the write points (root, which these tests may run as, writes through chmod).
"""
from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

import retrieval.pipeline as pipeline
import retrieval.store as store_mod
from retrieval.store import SOURCES, IndexStore
from tests.retrieval.counting_embedder import CountingEmbedder, write_corpus
from ui.cli import main


@pytest.fixture()
def fake_embedder(monkeypatch):
    monkeypatch.setattr("summarizer.service.shared_embedder", CountingEmbedder)


@pytest.fixture()
def cli_index(tmp_path, fake_embedder) -> tuple[Path, list[Path]]:
    """An index built through the CLI from a folder and a single file."""
    write_corpus(tmp_path / "folder", n_docs=2, sentences=3)
    single = tmp_path / "single.txt"
    single.write_text("Report on Torbay\n\nInspectors found that Torbay children's services were inadequate.\n")
    idx = tmp_path / "idx"
    assert main(["ingest", "--index", str(idx), "--json", str(tmp_path / "folder"), str(single)]) == 0
    return idx, [tmp_path / "folder", single]


def _refuse(error):
    def refuse(*a, **k):
        raise error
    return refuse


@pytest.mark.parametrize("error, said", [
    (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
])
def test_full_disk_during_ingest(cli_index, tmp_path, monkeypatch, capsys, error, said):
    idx, _ = cli_index
    before = IndexStore(idx).current_name()
    capsys.readouterr()
    write_corpus(tmp_path / "more", n_docs=3)
    monkeypatch.setattr(store_mod, "_write_sqlite", _refuse(error))
    assert main(["ingest", "--index", str(idx), str(tmp_path / "more")]) == 2
    err = capsys.readouterr().err
    assert said in err and "Free some space" in err and "Traceback" not in err
    assert IndexStore(idx).current_name() == before


@pytest.mark.parametrize("command", [["ingest", "PATH"], ["remove", "doc0"]])
def test_read_only_index_directory(cli_index, tmp_path, monkeypatch, capsys, command):
    idx, _ = cli_index
    before = IndexStore(idx).current_name()
    capsys.readouterr()
    write_corpus(tmp_path / "more", n_docs=1)
    monkeypatch.setattr(pipeline, "open", _refuse(OSError(errno.EROFS, "Read-only file system", ".lock")),
                        raising=False)
    argv = [str(tmp_path / "more") if a == "PATH" else a for a in command]
    assert main([argv[0], "--index", str(idx), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "Make it writable" in err and str(idx) in err and "Traceback" not in err
    monkeypatch.delattr(pipeline, "open")
    assert IndexStore(idx).current_name() == before
    assert main(["list", "--index", str(idx)]) == 0  # reading a read-only index still works


def test_corrupt_index_advice_names_what_was_ingested(cli_index, capsys):
    idx, sources = cli_index
    faiss_file = IndexStore(idx).current_dir() / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:50])
    capsys.readouterr()
    assert main(["search", "--index", str(idx), "Torbay"]) == 2
    err = capsys.readouterr().err
    assert "corrupt" in err and "brief ingest --rebuild" in err
    assert all(str(p.resolve()) in err for p in sources) and "data/articles" not in err
    (idx / SOURCES).unlink()  # the manifest keeps the paths too
    assert main(["search", "--index", str(idx), "Torbay"]) == 2
    err = capsys.readouterr().err
    assert all(str(p.resolve()) in err for p in sources)


def _gguf_header(tensors: int = 5) -> bytes:
    return b"GGUF" + (3).to_bytes(4, "little") + tensors.to_bytes(8, "little") + (2).to_bytes(8, "little")


@pytest.mark.parametrize("content, said", [
    (None, "does not exist"),
    (b"not a model at all" * 100, "not a GGUF model file"),
    (b"GGUF\x03\x00", "cut off"),
    (_gguf_header(tensors=0), "damaged header"),
])
def test_bad_model_file_is_named_before_the_command_runs(tmp_path, monkeypatch, capsys, content, said):
    model = tmp_path / "model.gguf"
    if content is not None:
        model.write_bytes(content)
    monkeypatch.setenv("BRIEF_MODEL_PATH", str(model))
    for argv in (["ask", "Why was Torbay rated inadequate?"], ["summarize", "--all"], ["eval", "--qa", "x.jsonl"]):
        assert main([argv[0], "--index", str(tmp_path / "idx"), *argv[1:]]) == 2
        err = capsys.readouterr().err
        assert said in err and str(model) in err and "BRIEF_MODEL_PATH" in err and "Traceback" not in err


def test_model_file_not_needed_is_not_checked(cli_index, monkeypatch, capsys):
    idx, _ = cli_index
    monkeypatch.setenv("BRIEF_MODEL_PATH", str(idx / "no-such-model.gguf"))
    assert main(["list", "--index", str(idx)]) == 0
    assert main(["search", "--index", str(idx), "Torbay"]) == 0
    assert "model" not in capsys.readouterr().err


def test_model_that_fails_to_load_is_a_clear_error(cli_index, tmp_path, monkeypatch, capsys):
    """A sound header over a damaged body passes the look at the header; llama.cpp's refusal becomes the message."""
    idx, _ = cli_index
    model = tmp_path / "damaged.gguf"
    model.write_bytes(_gguf_header() + bytes(range(256)) * 8)
    monkeypatch.setenv("BRIEF_MODEL_PATH", str(model))
    capsys.readouterr()
    assert main(["ask", "--index", str(idx), "What did inspectors find about Torbay casework?"]) == 2
    err = capsys.readouterr().err
    assert "could not be loaded" in err and str(model) in err and "Traceback" not in err
