"""An ingest that dies while embedding resumes on rerun: finished batches are read back, not embedded again,
the index comes out as a clean build would, and the old snapshot stays current until the new one is written."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.checkpoint import CHECKPOINT_DIR, EmbedCheckpoint
from retrieval.store import IndexStore
from tests.conftest import REPO
from tests.retrieval.counting_embedder import CountingEmbedder, ingest, load, write_corpus


def assert_same_index(a: Path, b: Path) -> None:
    """Two indexes hold the same documents, passages (in order) and vectors."""
    sa, sb = load(a), load(b)
    assert {k: d.hash for k, d in sa.documents.items()} == {k: d.hash for k, d in sb.documents.items()}
    assert [(c.id, c.text, c.councils) for c in sa.chunks] == [(c.id, c.text, c.councils) for c in sb.chunks]
    assert np.array_equal(sa.vectors, sb.vectors)


@pytest.fixture()
def corpus(tmp_path) -> tuple[Path, Path]:
    """A one-article base corpus and a larger one whose embedding takes many batches."""
    base, more = tmp_path / "base", tmp_path / "more"
    write_corpus(base, n_docs=1, sentences=4)
    (base / "doc0.txt").rename(base / "base0.txt")
    write_corpus(more)
    return base, more


@pytest.fixture()
def clean(tmp_path, corpus) -> tuple[Path, int]:
    """The index built without a crash, and how many batches its second ingest embedded."""
    base, more = corpus
    idx = tmp_path / "clean"
    ingest(idx, [base], CountingEmbedder())
    e = CountingEmbedder()
    ingest(idx, [more], e)
    assert len(e.batches) >= 5  # enough batches for a crash in the middle to mean something
    return idx, len(e.batches)


def test_crash_mid_embedding_resumes_without_re_embedding(tmp_path, corpus, clean):
    base, more = corpus
    idx = tmp_path / "idx"
    ingest(idx, [base], CountingEmbedder())
    store = IndexStore(idx)
    before = store.current_name()
    crashing = CountingEmbedder(fail_after=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(idx, [more], crashing)
    # the old snapshot is still the current one, complete, and nothing half-written is left in snapshots/
    assert store.current_name() == before
    assert [p.name for p in (idx / "snapshots").iterdir()] == [before]
    assert set(load(idx).documents) == {"base0"}
    assert EmbedCheckpoint(idx, CountingEmbedder.model_id, CountingEmbedder.dim).batches() == 3

    rerun = CountingEmbedder()
    report = ingest(idx, [more], rerun)
    done = {t for b in crashing.batches for t in b}
    again = [t for b in rerun.batches for t in b if t in done]
    assert again == []  # no finished batch is embedded twice
    assert len(rerun.batches) == clean[1] - 3
    assert len(report.added) == 6
    assert_same_index(idx, clean[0])
    assert not (idx / CHECKPOINT_DIR).exists()  # the batches are in the snapshot now


def test_kill_9_mid_embedding_resumes(tmp_path, corpus, clean):
    """A real SIGKILL in a child process: no cleanup runs, and the rerun still skips the finished batches."""
    base, more = corpus
    idx = tmp_path / "idx"
    ingest(idx, [base], CountingEmbedder())
    before = IndexStore(idx).current_name()
    script = (
        "import sys; from pathlib import Path\n"
        "from tests.retrieval.counting_embedder import CountingEmbedder, settings, word_count\n"
        "from retrieval.pipeline import Ingestor\n"
        f"Ingestor(settings(Path({str(idx)!r})), CountingEmbedder(fail_after=2, kill=True), word_count)"
        f".ingest([Path({str(more)!r})])\n"
    )
    child = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr
    assert IndexStore(idx).current_name() == before
    assert EmbedCheckpoint(idx, CountingEmbedder.model_id, CountingEmbedder.dim).batches() == 2
    rerun = CountingEmbedder()
    ingest(idx, [more], rerun)
    assert len(rerun.batches) == clean[1] - 2
    assert_same_index(idx, clean[0])


def test_damaged_checkpoint_batch_is_embedded_again(tmp_path, corpus, clean):
    base, more = corpus
    idx = tmp_path / "idx"
    ingest(idx, [base], CountingEmbedder())
    with pytest.raises(RuntimeError):
        ingest(idx, [more], CountingEmbedder(fail_after=2))
    first = sorted((idx / CHECKPOINT_DIR).glob("*.npy"))[0]
    first.write_bytes(first.read_bytes()[:40])  # cut off, as a disk might leave it
    rerun = CountingEmbedder()
    ingest(idx, [more], rerun)
    assert len(rerun.batches) == clean[1] - 1
    assert_same_index(idx, clean[0])


def test_checkpoint_batches_are_keyed_by_text_and_embedder(tmp_path):
    cp = EmbedCheckpoint(tmp_path, "model-a", 8)
    vecs = np.ones((2, 8), dtype="float32")
    cp.save(["one", "two"], vecs)
    assert np.array_equal(cp.load(["one", "two"]), vecs)
    assert cp.load(["one", "three"]) is None
    assert EmbedCheckpoint(tmp_path, "model-b", 8).load(["one", "two"]) is None
    assert not list((tmp_path / CHECKPOINT_DIR).glob(".*"))  # no temporary file left behind
