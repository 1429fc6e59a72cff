"""The served app under load (issue 11), through gradio_client as an API user reaches it: 20 searches at once all
succeed, and when more slow questions arrive than the queue holds, the excess is told "Queue is full" at once while
the others are answered (no hang, no crash). The index is the session's real one (tests/conftest.py); the slow model
is a stand-in for the service's ask, so no language model runs."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from tests.conftest import DARLINGTON
from tests.fakes import wait_for

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

QUERIES = ["Darlington assessments timescales", "Torbay agency staff", "Worcestershire inadequate",
           "Tameside social workers caseloads", "North Tyneside outstanding"]


def _serve(service, tmp_path, **kw):
    from ui.web import serve

    from .test_web import _free_port

    port = _free_port()
    app = serve(service, host="127.0.0.1", port=port, block=False, preload_model=False, quiet=True,
                runs_dir=tmp_path / "runs", mcp=False, **kw)
    return app, f"http://127.0.0.1:{port}/"


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def test_twenty_parallel_searches_all_succeed(built_index, tmp_path):
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    app, url = _serve(BriefService(Settings.from_env(built_index)), tmp_path)  # the default queue bound
    try:
        client = _client(url)
        jobs = [client.submit(QUERIES[i % len(QUERIES)], 3, api_name="/search_api") for i in range(20)]
        results = [job.result(timeout=120) for job in jobs]
    finally:
        app.close()
    assert len(results) == 20 and all(isinstance(r, list) and r for r in results)
    assert all(r[0]["article_id"] == DARLINGTON for r in results[::len(QUERIES)])
    assert all({"article_id", "title", "score", "text"} <= set(h) for r in results for h in r)


def test_a_full_queue_answers_queue_is_full(built_index, tmp_path):
    from gradio_client.utils import QueueError
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    svc = BriefService(Settings.from_env(built_index))
    started, release = threading.Event(), threading.Event()
    asked: list[str] = []

    def slow_ask(question, filters=None):  # the model is busy until the test lets it go
        asked.append(question)
        started.set()
        release.wait(30)
        return SimpleNamespace(to_dict=lambda: {"status": "answered", "text": f"answer to {question}"})

    svc.ask = slow_ask
    app, url = _serve(svc, tmp_path, queue_max=2)
    try:
        client = _client(url)
        first = client.submit("q0", api_name="/ask_api")
        assert started.wait(30)  # q0 holds the model (one question at a time)
        waiting = [client.submit(f"q{i}", api_name="/ask_api") for i in (1, 2)]
        wait_for(lambda: len(app._queue) == 2, 30, "two questions waiting in the queue")
        with ThreadPoolExecutor(3) as pool:  # three more at once: no room for any of them
            excess = [client.submit(f"x{i}", api_name="/ask_api") for i in range(3)]
            refusals = list(pool.map(lambda job: _error_of(job, QueueError), excess))
        assert all("Queue is full" in r for r in refusals), refusals
        assert not [q for q in asked if q.startswith("x")]  # refused before the model was asked
        release.set()
        answers = [job.result(timeout=30) for job in [first, *waiting]]
        assert [a["text"] for a in answers] == ["answer to q0", "answer to q1", "answer to q2"]
        assert client.predict("Darlington assessments", 1, api_name="/search_api")  # and the app still serves
    finally:
        release.set()
        app.close()


def _error_of(job, error_type) -> str:
    """The message of the error a job ended with (within 30 s); AssertionError when it succeeded."""
    try:
        job.result(timeout=30)
    except error_type as e:
        return str(e)
    raise AssertionError("an excess request was accepted")
