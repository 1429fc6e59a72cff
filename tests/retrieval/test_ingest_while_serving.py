"""Ingest while serving (issue 11): a reader keeps searching while another service ingests new articles into the same
index directory, as `brief serve` does while `brief ingest` or an upload runs. Every read sees the old snapshot or the
new one, complete: never an error, never a mix of the two."""
from __future__ import annotations

import threading

import pytest

import retrieval.store as store_mod
from retrieval.store import IndexStore
from tests.fakes import COUNCILS, counting_service, wait_for, write_articles

QUERY = "inspectors found assessments were late"


@pytest.fixture()
def batches(tmp_path):
    """A base corpus and three more batches of articles (distinct documents each)."""
    write_articles(tmp_path / "base", COUNCILS[:2], tag="base")
    for b in range(3):
        write_articles(tmp_path / f"batch{b}", COUNCILS, tag=f"b{b}")
    return tmp_path


def _valid_states(tmp_path) -> dict[int, int]:
    """{documents: passages} of each snapshot a reader may see, from the same ingests done one after another."""
    svc = counting_service(tmp_path / "reference")
    states = {}
    for folder in ("base", "batch0", "batch1", "batch2"):
        svc.ingest([tmp_path / folder])
        snap = svc.retriever.snap
        states[len(snap.documents)] = len(snap.chunks)
    assert len(states) == 4
    return states


def _check(retriever, states: dict[int, int]) -> int:
    """One read of one loaded snapshot: a valid (documents, passages) pair, and hits only from its documents."""
    snap = retriever.snap
    n = len(snap.documents)
    assert states.get(n) == len(snap.chunks) == len(snap.vectors), (n, len(snap.chunks), states)
    res = retriever.search(QUERY, 5)
    texts = {c.id: c.text for c in snap.chunks}
    assert res.hits and all(h.chunk.doc_id in snap.documents and texts[h.chunk.id] == h.chunk.text for h in res.hits)
    return n


def test_reader_never_sees_an_error_or_a_mix_while_another_service_ingests(batches):
    states = _valid_states(batches)
    idx = batches / "idx"
    writer = counting_service(idx)
    writer.ingest([batches / "base"])
    reader = counting_service(idx)  # a second service on the same directory: the web app beside `brief ingest`
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(_check(reader.retriever, states))
                assert reader.search(QUERY, 3).hits  # the service's own call, as the UI makes it
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    t = threading.Thread(target=read, name="reader", daemon=True)
    t.start()
    try:
        wait_for(lambda: seen or errors, 10, "the reader's first read")
        for b in range(3):
            during = len(seen)
            writer.ingest([batches / f"batch{b}"])
            assert len(seen) > during or errors, "the reader was not reading while the writer wrote"
            after = len(seen)
            wait_for(lambda: len(seen) > after + 1 or errors, 10, "reads after the ingest")
    finally:
        stop.set()
        t.join(10)
    assert not errors, repr(errors[0])
    assert set(seen) <= set(states) and max(seen) == max(states)  # old or new, and the newest reached the reader
    assert seen == sorted(seen)  # never an older snapshot after a newer one


def test_reader_loading_while_the_snapshot_is_replaced_gets_a_whole_snapshot(batches, monkeypatch):
    """The worst moment, made certain: the reader has read the old snapshot's manifest when a writer makes a new
    snapshot current and deletes the old one. The reader still ends with a whole snapshot (old or new)."""
    states = _valid_states(batches)
    idx = batches / "idx"
    writer = counting_service(idx)
    writer.ingest([batches / "base"])
    reader = counting_service(idx)
    old = IndexStore(idx).current_name()
    paused, resume = threading.Event(), threading.Event()
    real_read = store_mod._read_sqlite

    def read_sqlite(path):
        if threading.current_thread().name == "reader" and not paused.is_set():
            paused.set()
            resume.wait(10)
        return real_read(path)

    monkeypatch.setattr(store_mod, "_read_sqlite", read_sqlite)
    got: list = []

    def read() -> None:
        try:
            got.append(_check(reader.retriever, states))
        except BaseException as e:  # noqa: BLE001 - reported below
            got.append(e)

    t = threading.Thread(target=read, name="reader", daemon=True)
    t.start()
    assert paused.wait(10)
    writer.ingest([batches / "batch0"])
    assert IndexStore(idx).current_name() != old and not (idx / "snapshots" / old).exists()  # the old one is gone
    resume.set()
    t.join(10)
    assert got and not isinstance(got[0], BaseException), repr(got[0])
    assert got[0] in states
    assert _check(reader.retriever, states) == len(writer.documents())  # and the next read has the new one
