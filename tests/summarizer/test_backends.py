"""Model backends: settings/env selection, and the OpenAI-compatible HTTP backend against a real llama-cpp-python
server that this module starts on 127.0.0.1 with the bundled GGUF (concurrent requests, server down, timeout)."""
from __future__ import annotations

import os
import threading

import pytest

from summarizer.llm.backends import (BackendTimeout, BackendUnavailable, LlamaBackend, OpenAIBackend,
                                 TransformersBackend, make_backend)
from summarizer.settings import Settings

from tests.summarizer import llama_server

SCHEMA = {"type": "object", "properties": {
    "council": {"type": "string", "enum": ["Darlington", "Torbay", "Tameside"]},
    "grade": {"type": "string", "enum": ["inadequate", "requires improvement", "good", "outstanding"]}},
    "required": ["council", "grade"]}
PROMPT = "Ofsted rated Darlington council's children's services inadequate. Which council, and which grade?"


_free_port = llama_server.free_port


def test_backend_settings_from_env(monkeypatch):
    monkeypatch.setenv("BRIEF_BACKEND", "openai")
    monkeypatch.setenv("BRIEF_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BRIEF_OPENAI_MODEL", "qwen")
    monkeypatch.setenv("BRIEF_OPENAI_API_KEY", "sk-test")
    s = Settings.from_env()
    assert (s.backend.kind, s.backend.base_url, s.backend.model, s.backend.api_key) == \
        ("openai", "http://127.0.0.1:9/v1", "qwen", "sk-test")
    b = make_backend(s)
    assert isinstance(b, OpenAIBackend) and b.model_id == "openai:qwen" and b.parallel
    monkeypatch.setenv("BRIEF_BACKEND", "transformers")
    monkeypatch.setenv("BRIEF_HF_MODEL", "/nonexistent/model-dir")
    tb = make_backend(Settings.from_env())
    assert isinstance(tb, TransformersBackend)
    with pytest.raises(BackendUnavailable, match="No Hugging Face model"):
        tb.generate_json("s", "u", SCHEMA)
    monkeypatch.setenv("BRIEF_BACKEND", "llama")
    assert isinstance(make_backend(Settings.from_env(), llm=object()), LlamaBackend)


def test_transformers_backend_loads_the_gguf():
    pytest.importorskip("gguf", reason="loading a GGUF through transformers needs the gguf package")
    pytest.importorskip("accelerate")
    from summarizer.llm.model_files import ensure_model

    path = ensure_model(Settings().model.cache_dir / "models")
    g = TransformersBackend(path).generate_json("Reply in JSON.", PROMPT, SCHEMA, max_tokens=30)
    assert g.data.get("council") == "Darlington"


def test_server_down_is_a_clear_error_and_the_batch_resumes_later(tmp_path):
    from summarizer.summaries.batch import run_batch
    from summarizer.summaries.results import ResultStore
    from summarizer.summaries.summarizer import Summarizer

    from .test_summaries import DOCS

    url = f"http://127.0.0.1:{_free_port()}/v1"
    b = OpenAIBackend(url, "qwen", timeout_s=5)
    with pytest.raises(BackendUnavailable, match="Cannot reach the OpenAI-compatible server") as e:
        b.generate_json("s", PROMPT, SCHEMA)
    assert url in str(e.value) and "resume" in str(e.value)
    store = ResultStore(tmp_path / "summaries")
    rep = run_batch(list(DOCS.values())[:2], Summarizer(b), store, workers=2)
    assert rep.stopped and "Cannot reach" in rep.stopped and not rep.done and not store.done_keys()
    assert not store.failures()  # a down server is not an article failure: nothing to clean up before resuming


# --- against a real server -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("uvicorn")
    pytest.importorskip("sse_starlette", reason="llama-cpp-python's server extras (pip install -e .[dev])")
    pytest.importorskip("starlette_context")
    pytest.importorskip("pydantic_settings")
    from summarizer.llm.model_files import ensure_model

    model = ensure_model(Settings().model.cache_dir / "models")
    port = _free_port()
    threads = os.environ.get("BRIEF_THREADS", str(max(1, os.cpu_count() or 1)))
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w+")
    proc = llama_server.start(model, port, log, threads=threads, n_ctx=2048)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        llama_server.wait_up(proc, url, log, 300)
        yield url
    finally:
        llama_server.stop(proc)
        log.close()


@pytest.mark.model
def test_http_backend_json_and_text(server):
    b = OpenAIBackend(server, "qwen", api_key="unused", timeout_s=120)
    g = b.generate_json("Reply in JSON.", PROMPT, SCHEMA, max_tokens=40)
    assert g.data == {"council": "Darlington", "grade": "inadequate"}
    assert g.prompt_tokens > 10 and g.completion_tokens > 0
    text = "".join(b.stream_text("Answer in one word.", "Ofsted rated Darlington council's children's services "
                                 "inadequate. Which council was rated inadequate?", max_tokens=8))
    assert "Darlington" in text


@pytest.mark.model
def test_http_backend_concurrent_requests(server):
    b = OpenAIBackend(server, "qwen", timeout_s=180)
    prompts = [PROMPT, PROMPT.replace("Darlington", "Torbay"), PROMPT.replace("Darlington", "Tameside")]
    results: dict[int, dict] = {}
    errors: list[Exception] = []

    def go(i: int) -> None:
        try:
            results[i] = b.generate_json("Reply in JSON.", prompts[i], SCHEMA, max_tokens=40).data
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert [results[i]["council"] for i in range(3)] == ["Darlington", "Torbay", "Tameside"]


@pytest.mark.model
def test_http_batch_with_two_workers_resumes(server, tmp_path):
    """A batch stopped by a down server resumes against the live one; two workers; reruns skip what is done."""
    from retrieval.pipeline import prepare
    from retrieval.records import Document
    from retrieval.settings import RetrievalSettings
    from summarizer.summaries.batch import run_batch
    from summarizer.summaries.results import ResultStore
    from summarizer.summaries.summarizer import Summarizer, SummaryOptions

    texts = ["Ofsted rated Torbay council's children's services inadequate. Inspectors found 94 assessments were late.",
             "Ofsted rated Darlington council's children's services good. Inspectors praised strong leadership."]
    docs = [prepare(Document(id=f"tiny{i}", text=t, title=f"tiny {i}"), RetrievalSettings(), None)[0]
            for i, t in enumerate(texts)]
    store = ResultStore(tmp_path / "summaries")
    opts = SummaryOptions(items_per_field=1, extract_tokens=200, max_repairs=0, overview_tokens=40)
    down = OpenAIBackend(f"http://127.0.0.1:{_free_port()}/v1", "qwen", timeout_s=5)
    assert run_batch(docs, Summarizer(down, opts), store, workers=2).stopped
    live = OpenAIBackend(server, "qwen", timeout_s=300)
    rep = run_batch(docs, Summarizer(live, opts), store, workers=2)
    assert sorted(rep.done) == ["tiny0", "tiny1"] and not rep.failed, rep.as_dict()
    recs = {r.doc_id: r for r in store.all_latest()}
    assert recs["tiny0"].councils[0].council == "Torbay" and recs["tiny1"].councils[0].council == "Darlington"
    assert recs["tiny0"].model_id == "openai:qwen"
    again = run_batch(docs, Summarizer(live, opts), store, workers=2)
    assert sorted(again.skipped) == ["tiny0", "tiny1"] and not again.done


@pytest.mark.model
def test_http_backend_timeout(server):
    b = OpenAIBackend(server, "qwen", timeout_s=0.2)
    with pytest.raises(BackendTimeout, match="did not answer within"):
        b.generate_json("Reply in JSON.", PROMPT * 3, SCHEMA, max_tokens=12)


def test_parse_json_keeps_the_complete_items_of_a_broken_object():
    """Without constrained decoding a model may stop mid-object or slip late: the whole items before the break are
    kept; prose and fences around the object are ignored; no object at all is a clear error."""
    from summarizer.llm.backends import BackendError, parse_json

    assert parse_json('Here you go:\n```json\n{"a": 1, "b": [2, 3]}\n```') == {"a": 1, "b": [2, 3]}
    cut = '{"weaknesses": [{"text": "94 assessments late", "quote": "94 assessments"}, {"text": "Caseloads are hi'
    assert parse_json(cut) == {"weaknesses": [{"text": "94 assessments late", "quote": "94 assessments"}]}
    slip = '{"judgement": "inadequate", "strengths": [{"text": "a \\"good\\" team"}] "figures": []}'
    assert parse_json(slip) == {"judgement": "inadequate", "strengths": [{"text": 'a "good" team'}]}
    with pytest.raises(BackendError, match="no JSON object"):
        parse_json("I cannot help with that.")
