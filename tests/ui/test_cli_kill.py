"""kill -9 mid-run (issue 11): `brief eval --qa` and `brief summarize --all` run as child processes against a fake
OpenAI-compatible model server (BRIEF_BACKEND=openai), are SIGKILLed while the model works on the second item, and
resume on rerun without redoing the items finished before the kill. The embedder is the counting stand-in."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes import COUNCILS, GatedServer, KillSwitch, backend_env, brief_child, run_brief, write_articles

THREE = COUNCILS[:3]  # Torbay, Darlington, Slough


@pytest.fixture()
def model_server():
    server = GatedServer()
    yield server
    server.stop()


@pytest.fixture()
def index(tmp_path, model_server) -> Path:
    write_articles(tmp_path / "articles", THREE)
    idx = tmp_path / "idx"
    out = run_brief(["ingest", "--json", "--index", str(idx), str(tmp_path / "articles")], backend_env(model_server))
    assert out.returncode == 0, out.stderr
    return idx


def _mentions(body: dict, text: str) -> bool:
    return text in json.dumps(body, ensure_ascii=False)


def _kill_when(server: GatedServer, text: str, argv: list[str]) -> None:
    """Run `brief argv` and SIGKILL it the moment the model is first asked something that mentions text."""
    switch = KillSwitch(lambda path, body: _mentions(body, text))
    server.gate = switch
    child = brief_child(argv, backend_env(server))
    switch.child = child
    try:
        child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    server.gate = None
    assert switch.fired.is_set(), "the model was never asked about the second item"
    assert child.returncode == -9


def _asked_about(server: GatedServer, since: int, text: str) -> int:
    return sum(_mentions(body, text) for _, body in server.requests[since:])


def test_kill_9_during_eval_resumes_without_asking_finished_questions_again(tmp_path, index, model_server):
    questions = [f"How many assessments were late in {c}?" for c in THREE]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps({"id": f"q{i}", "question": q, "answerable": True, "docs": [c.lower()],
                                      "facts": [["assessments"]]}) + "\n"
                          for i, (q, c) in enumerate(zip(questions, THREE))))
    runs = tmp_path / "runs"
    argv = ["eval", "--qa", str(qa), "--json", "--no-checker", "--runs-dir", str(runs), "--index", str(index)]
    _kill_when(model_server, questions[1], argv)  # q0 is scored and stored; q1 is with the model
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir()]
    assert [json.loads(line)["id"] for line in (run_dir / "items.jsonl").read_text().splitlines()] == ["q0"]
    assert _asked_about(model_server, 0, questions[0]) > 0

    since = len(model_server.requests)
    out = run_brief([*argv, "--resume", str(run_dir)], backend_env(model_server))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    result = json.loads(out.stdout)
    assert result["resumed_items"] == 1 and result["summary"]["questions"] == 3
    assert [it["id"] for it in result["items"]] == ["q0", "q1", "q2"]
    assert _asked_about(model_server, since, questions[0]) == 0  # the finished question was not asked again
    assert _asked_about(model_server, since, questions[1]) > 0 and _asked_about(model_server, since, questions[2]) > 0
    lines = [json.loads(line)["id"] for line in (run_dir / "items.jsonl").read_text().splitlines()]
    assert lines == ["q0", "q1", "q2"] and (run_dir / "result.json").is_file()


def test_kill_9_during_summarize_all_resumes_without_redoing_finished_documents(index, model_server):
    argv = ["summarize", "--all", "--json", "--index", str(index)]
    # documents go in id order (darlington, slough, torbay): kill while the model reads the second
    _kill_when(model_server, "Slough", argv)
    assert _asked_about(model_server, 0, "Darlington") > 0

    since = len(model_server.requests)
    out = run_brief(argv, backend_env(model_server))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["skipped"] == ["darlington"] and sorted(report["done"]) == ["slough", "torbay"]
    assert not report["failed"] and report["stopped"] is None
    assert _asked_about(model_server, since, "Darlington") == 0  # the finished summary was not redone
    again = run_brief(argv, backend_env(model_server))  # and a third run has nothing left to do
    assert json.loads(again.stdout)["skipped"] == ["darlington", "slough", "torbay"]
