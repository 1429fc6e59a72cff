"""Two real `python -m llama_cpp.server` processes with the bundled GGUF on loopback (one thread each) behind brief's
pool: four questions asked at once through BriefService with BRIEF_BACKEND=openai and both URLs; one server is killed
mid-run and every question still gets its answer, its requests finishing on the other server.

Slow (the real model on one thread per server): marked ``model``; every wait is bounded."""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from tests.summarizer import llama_server

# minutes of two one-thread servers: run by `make bench-reliability` (BRIEF_RELIABILITY=1), not by `make test`
pytestmark = [pytest.mark.model,
              pytest.mark.skipif(os.environ.get("BRIEF_RELIABILITY") != "1",
                                 reason="a load test: run it with `make bench-reliability`")]

QUESTIONS = [
    "In which year was Torbay rated adequate, before this inadequate judgement?",
    "How many assessments in Darlington had not been completed within agreed timescales?",
    "Who was the government-appointed commissioner who reviewed Worcestershire's children's services?",
    "Which council was appointed as Worcestershire's improvement partner?",
]
START_S = 300  # each server's start-up (model load)
TOTAL_S = 1500  # the four questions, with one server gone half-way
REQUEST_S = 600  # one request (BRIEF_OPENAI_TIMEOUT): it may queue behind the other questions on a 1-thread server


@pytest.fixture()
def two_servers(tmp_path):
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python's server extras (pip install -e .[dev])")
    from summarizer.llm.model_files import ensure_model
    from summarizer.settings import Settings

    model = ensure_model(Settings().model.cache_dir / "models")
    ports = [llama_server.free_port(), llama_server.free_port()]
    logs = [open(tmp_path / f"server{i}.log", "w+") for i in range(2)]
    procs = [llama_server.start(model, port, log) for port, log in zip(ports, logs)]
    urls = [f"http://127.0.0.1:{port}/v1" for port in ports]
    try:
        for proc, url, log in zip(procs, urls, logs):
            llama_server.wait_up(proc, url, log, START_S)
        yield procs, urls
    finally:
        for proc in procs:
            llama_server.stop(proc)
        for log in logs:
            log.close()


def _kill_when_busy(llm, procs, stop: threading.Event, killed: list[int]) -> None:
    """Kill -9 the first server seen with a request of ours in flight (a few seconds into it), once."""
    while not stop.is_set():
        for i, server in enumerate(llm.pool.servers):
            if server.in_flight > 0 and server.served >= 2:
                time.sleep(3)  # well inside a prompt's evaluation on one thread
                procs[i].kill()
                procs[i].wait(timeout=20)
                killed.append(i)
                return
        time.sleep(0.2)


def test_questions_survive_a_server_killed_mid_run(two_servers, built_index, monkeypatch):
    from summarizer.answer.records import Answer
    from summarizer.llm.remote import RemoteLLM
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    procs, urls = two_servers
    monkeypatch.setenv("BRIEF_BACKEND", "openai")
    monkeypatch.setenv("BRIEF_OPENAI_BASE_URL", ",".join(urls))
    monkeypatch.setenv("BRIEF_OPENAI_MODEL", "qwen")
    monkeypatch.setenv("BRIEF_OPENAI_TIMEOUT", str(REQUEST_S))
    svc = BriefService(Settings.from_env(built_index))
    llm = svc.llm
    assert isinstance(llm, RemoteLLM) and llm.pool.urls == urls
    assert llm.supports_logprobs  # llama-cpp-python's server keeps logits_all on by default

    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_when_busy, args=(llm, procs, stop, killed), daemon=True)
    killer.start()
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as ex:
        futures = [ex.submit(svc.ask, q) for q in QUESTIONS]
        done, pending = wait(futures, timeout=TOTAL_S)
        stop.set()
        for f in pending:
            f.cancel()
    assert not pending, f"{len(pending)} questions unanswered after {TOTAL_S} s"
    answers = [f.result() for f in futures]  # raises if any question failed
    elapsed = time.time() - t0
    assert killed, "no server was seen busy, so none was killed"
    dead, alive = llm.pool.servers[killed[0]], llm.pool.servers[1 - killed[0]]
    assert dead.up is False and alive.up and procs[1 - killed[0]].poll() is None
    assert all(isinstance(a, Answer) and a.text for a in answers)
    assert all(a.status in ("answered", "not_in_articles") for a in answers), [a.status for a in answers]
    assert sum(not a.refused for a in answers) >= 2, [(a.question, a.status, a.text) for a in answers]
    assert not any(a.exact_check_only for a in answers)  # the gate and judge had their P(yes)
    print(f"\n{len(answers)} questions, server {killed[0]} killed mid-run: {elapsed:.0f} s; "
          f"requests served {[s.served for s in llm.pool.servers]}; answers {[a.status for a in answers]}")
