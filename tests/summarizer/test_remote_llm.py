"""RemoteLLM and the ServerPool against fake OpenAI-compatible servers on 127.0.0.1 (no model): raw greedy completions,
streaming, P(yes) from top logprobs, least-busy routing, retries on another server, a dead server rejoining, and the
exact-check fallback of the gate, the judge and the eval checker when a server gives no logprobs."""
from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from summarizer.answer.records import AnswerSentence, Passage, number_passages
from summarizer.llm.errors import BackendTimeout, BackendUnavailable, NoLogprobs
from summarizer.llm.pool import ServerPool
from summarizer.llm.prefix_cache import PREFIX_END
from summarizer.llm.remote import RemoteLLM, top_logprobs_of
from summarizer.settings import ModelSettings, Settings

PROMPT = f"<|im_start|>user\nPassages:\n[1] Ofsted rated Darlington inadequate.{PREFIX_END}Which grade?<|im_end|>\n" \
         "<|im_start|>assistant\n"
TOP = {" yes": math.log(0.6), " no": math.log(0.2), " maybe": math.log(0.2)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """A fake OpenAI-compatible server: /v1/models, /health, /v1/completions (stream or not, logprobs),
    /v1/chat/completions and /extras/tokenize. ``mode``: ok | error500 | drop | drop_mid_stream | slow."""

    def __init__(self, port: int = 0, owned_by: str = "me", logprobs: bool = True,
                 tokens: tuple[str, ...] = ("Darlington", " was", " rated", " inadequate", ".")) -> None:
        self.owned_by, self.logprobs, self.tokens = owned_by, logprobs, list(tokens)
        self.mode, self.delay, self.top, self.text = "ok", 0.0, dict(TOP), None
        self.requests: list[tuple[str, dict]] = []
        self.hold = threading.Event()
        self.hold.set()  # clear it to keep completions waiting
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.fake = self
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def completions(self) -> list[dict]:
        return [b for p, b in self.requests if p == "/v1/completions"]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Handler(BaseHTTPRequestHandler):
    """The fake server's requests; the FakeServer it answers for is self.server.self.server.fake."""

    def log_message(self, *args) -> None:
        pass

    def _json(self, obj: dict, status: int = 200) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        self.request.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._json({"object": "list", "data": [{"id": "qwen", "object": "model", "owned_by": self.server.fake.owned_by}]})
        else:
            self._json({"detail": "Not Found"}, 404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.fake.requests.append((self.path, body))
        if self.path == "/extras/tokenize":
            return self._json({"tokens": list(range(len(body["input"].split())))})
        if self.path == "/v1/chat/completions":
            return self._json({"choices": [{"message": {"content": self.server.fake.text or "{}"}}],
                               "usage": {"prompt_tokens": 5, "completion_tokens": 2}})
        self.server.fake.hold.wait(5)
        time.sleep(self.server.fake.delay)
        if body.get("logprobs") and self.server.fake.logprobs == "refused":  # llama-cpp-python with --logits_all false
            return self._json({"error": {"message": "logprobs is not supported for models created with "
                                         "logits_all=False"}}, 500)
        if self.server.fake.mode == "error500":
            return self._json({"error": "boom"}, 500)
        if self.server.fake.mode == "drop":
            return self._drop()
        tokens = self.server.fake.tokens[: body.get("max_tokens") or len(self.server.fake.tokens)]
        if body.get("stream"):
            return self._stream(tokens)
        choice = {"text": self.server.fake.text or "".join(tokens), "index": 0, "finish_reason": "stop", "logprobs": None}
        if body.get("logprobs") and self.server.fake.logprobs:
            choice["logprobs"] = {"tokens": [tokens[0]], "token_logprobs": [-0.5], "top_logprobs": [self.server.fake.top],
                                  "text_offset": [0]}
        self._json({"choices": [choice], "usage": {"prompt_tokens": 11, "completion_tokens": len(tokens)}})

    def _stream(self, tokens: list[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        fake = self.server.fake
        if fake.mode == "resume_after_2":  # the continuation of an answer cut short after two tokens
            tokens, fake.mode = tokens[2:], "ok"
        for i, t in enumerate(tokens):
            if fake.mode == "drop_mid_stream" and i == 2:
                return self._drop()
            if fake.mode == "end_early" and i == 2:  # a clean [DONE] with no finish reason: another request came
                fake.mode = "resume_after_2"
                break
            last = i == len(tokens) - 1
            choice = {"text": t, "index": 0, "finish_reason": "stop" if last else None}
            self.wfile.write(f"data: {json.dumps({'choices': [choice]})}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


@pytest.fixture()
def servers():
    made: list[FakeServer] = []

    def make(n: int = 1, **kw) -> list[FakeServer]:
        new = [FakeServer(**kw) for _ in range(n)]
        made.extend(new)
        return new

    yield make
    for s in made:
        s.stop()


def _llm(*urls: str, timeout_s: float = 10.0, model: str | None = None, **pool_kw) -> RemoteLLM:
    return RemoteLLM(ServerPool(",".join(urls), timeout_s=timeout_s, **pool_kw), ModelSettings(), model)


def test_completions_are_greedy_raw_prompts_sent_verbatim(servers):
    (a,) = servers(1)
    llm = _llm(a.url)
    assert llm.complete(PROMPT, max_tokens=8, stop=["<|im_end|>"]) == "Darlington was rated inadequate."
    assert "".join(llm.stream(PROMPT, max_tokens=3)) == "Darlington was rated"
    sent, streamed = a.completions()
    assert sent["prompt"] == PROMPT and PREFIX_END in sent["prompt"]  # PREFIX_END is prompt text, sent as it is
    assert (sent["temperature"], sent["top_k"], sent["repeat_penalty"], sent["cache_prompt"]) == (0.0, 1, 1.0, True)
    assert sent["model"] == "qwen" and sent["stop"] == ["<|im_end|>"] and sent["max_tokens"] == 8
    assert streamed["stream"] is True and streamed["max_tokens"] == 3 and streamed["prompt"] == PROMPT
    assert llm.last.completion_tokens == 3 and llm.model_id == "openai:default"


def test_yes_probability_and_choices_come_from_top_logprobs(servers):
    (a,) = servers(1)
    llm = _llm(a.url)
    assert llm.yes_probability(PROMPT) == pytest.approx(0.75)
    req = a.completions()[-1]
    assert req["max_tokens"] == 1 and req["logprobs"] == 20 and llm.supports_logprobs
    a.top = {" weak": math.log(0.5), " strength": math.log(0.3), "none": math.log(0.1), "x": math.log(0.1)}
    p = llm.choice_probabilities(PROMPT, ("weakness", "strength", "action", "none"))
    assert p == pytest.approx({"weakness": 0.5 / 0.9, "strength": 0.3 / 0.9, "action": 0.0, "none": 0.1 / 0.9})
    server_shape = {"logprobs": {"content": [{"token": "Yes", "logprob": -0.1, "top_logprobs": [
        {"token": "Yes", "logprob": -0.1}, {"token": " No", "logprob": -2.5}]}]}}  # llama-server's own shape
    assert top_logprobs_of(server_shape) == {"Yes": -0.1, " No": -2.5} and top_logprobs_of({"logprobs": None}) == {}


def test_no_logprobs_means_exact_checks_only_said_once(servers, caplog):
    from summarizer.answer.gate import gate
    from summarizer.answer.judge import judge
    from summarizer.checking.checker import ClaimChecker

    (a,) = servers(1, logprobs=False)
    llm = _llm(a.url, model="no-logprobs-model")
    with pytest.raises(NoLogprobs):
        llm.yes_probability(PROMPT)
    assert llm.supports_logprobs is False
    passages = number_passages([Passage(0, "d1", "d1#0", "Darlington", "Inspectors found 94 assessments were late.",
                                        0, 40, "2015-09-01", None, ["Darlington"])])
    asked = len(a.completions())
    with caplog.at_level(logging.WARNING, logger="summarizer.llm.interface"):
        g = gate("How many assessments were late?", passages, [], llm, 0.6, {}, 0.0)
        drafts = [AnswerSentence("Inspectors found 94 assessments were late.", [1], True)]
        list(judge(drafts, passages, "How many assessments were late?", llm, ClaimChecker(llm), 0.3))
        verdict = ClaimChecker(llm).check("94 assessments were late.", passages[0].text)
    assert g.passed and g.p_yes is None and g.answered == ["How many assessments were late?"]
    assert drafts[0].supported and drafts[0].judge is None  # the UI shows "✓ exact check only"
    assert verdict.p_llm is None and verdict.supported
    assert len(a.completions()) == asked  # nothing more was asked of the server
    said = [r for r in caplog.records if "no logprobs" in r.getMessage()]
    assert len(said) == 1 and "exact checks only" in said[0].getMessage()
    (refusing,) = servers(1, logprobs="refused")
    assert _llm(refusing.url).supports_logprobs is False  # an error about logprobs is the same as none


def test_the_least_busy_server_gets_the_next_request(servers):
    a, b = servers(2)
    llm = _llm(a.url, b.url)
    a.hold.clear()  # a's completions wait until released
    first = threading.Thread(target=llm.complete, args=(PROMPT,))
    first.start()
    deadline = time.time() + 5
    while not a.completions() and time.time() < deadline:
        time.sleep(0.01)
    assert a.completions() and llm.pool.servers[0].in_flight == 1
    assert llm.complete(PROMPT) == "Darlington was rated inadequate."  # a is busy: b answers at once
    assert len(b.completions()) == 1
    a.hold.set()
    first.join(5)
    assert [s.in_flight for s in llm.pool.servers] == [0, 0]


def test_a_failed_request_is_retried_on_another_server(servers):
    a, b = servers(2)
    a.mode = "error500"
    llm = _llm(a.url, b.url)
    assert llm.complete(PROMPT) == "Darlington was rated inadequate." and len(a.completions()) == 1
    assert llm.pool.servers[0].up  # a 500 is one bad request, not a dead server
    assert "".join(llm.stream(PROMPT)) == "Darlington was rated inadequate."
    a.mode = "drop"  # the connection closes without an answer
    llm = _llm(a.url, b.url)
    assert llm.yes_probability(PROMPT) == pytest.approx(0.75)
    assert len(b.completions()) == 3 and llm.pool.servers[0].up is False


def test_a_stream_cut_mid_answer_continues_on_another_server(servers):
    a, b = servers(2)
    a.mode = "drop_mid_stream"  # sends "Darlington", " was", then dies
    b.tokens = [" rated", " inadequate", "."]
    llm = _llm(a.url, b.url)
    assert "".join(llm.stream(PROMPT, max_tokens=10)) == "Darlington was rated inadequate."
    cont = b.completions()[0]
    assert cont["prompt"] == PROMPT + "Darlington was" and cont["max_tokens"] == 8
    assert llm.pool.servers[0].up is False and llm.last.completion_tokens == 5


def test_a_dead_server_rejoins_after_a_health_check(servers):
    (b,) = servers(1)
    port = _free_port()
    dead = f"http://127.0.0.1:{port}/v1"
    llm = _llm(dead, b.url, backoff_s=0.05)
    assert llm.complete(PROMPT) == "Darlington was rated inadequate."
    assert llm.pool.servers[0].up is False and "health check failed" in llm.pool.servers[0].error
    a = FakeServer(port=port)
    try:
        time.sleep(0.1)  # its backoff has passed: the next request checks it in the background
        deadline = time.time() + 5
        while not llm.pool.servers[0].up and time.time() < deadline:
            llm.complete(PROMPT)
            time.sleep(0.05)
        assert llm.pool.servers[0].up
        before = len(b.completions())
        llm.complete(PROMPT)  # the same document's prompt stays where its prefix is cached, when that is not busier
        assert len(b.completions()) == before + 1 and not a.completions()
        llm.complete("<|im_start|>user\nAnything else?<|im_end|>\n")
        assert len(a.completions()) == 1  # back in the rotation: the least recently used of two idle servers
    finally:
        a.stop()


def test_no_server_left_is_a_clear_error(servers):
    urls = [f"http://127.0.0.1:{_free_port()}/v1" for _ in range(2)]
    with pytest.raises(BackendUnavailable, match="Cannot reach the OpenAI-compatible server") as e:
        _llm(*urls).complete(PROMPT)
    assert all(u in str(e.value) for u in urls) and "resume" in str(e.value)
    slow, fast = servers(2)
    slow.delay = 1.0
    with pytest.raises(BackendTimeout, match="did not answer within"):
        _llm(slow.url, timeout_s=0.3).complete(PROMPT)
    assert _llm(slow.url, fast.url, timeout_s=0.3).complete(PROMPT) == "Darlington was rated inadequate."


def test_token_counts_from_the_server_tokenizer_else_an_estimate(servers):
    a, other = servers(1)[0], servers(1, owned_by="someone")[0]
    llm = _llm(a.url)
    assert llm.count_tokens("four words of text") == 4 and llm.count_tokens("four words of text") == 4
    assert [p for p, _ in a.requests].count("/extras/tokenize") == 1  # counted once, then remembered
    assert _llm(other.url).count_tokens("x" * 30) == 10 and not [p for p, _ in other.requests if "token" in p]


def test_json_is_constrained_where_the_server_can_and_parsed(servers):
    a, v = servers(1)[0], servers(1, owned_by="vllm")[0]
    schema = {"type": "object", "properties": {"council": {"type": "string"}}, "required": ["council"]}
    for fake in (a, v):
        fake.text = 'Here: {"council": "Darlington"}'
        assert _llm(fake.url).json(PROMPT, schema, max_tokens=20) == {"council": "Darlington"}
    pytest.importorskip("llama_cpp")
    assert "root" in a.completions()[0]["grammar"]  # llama-cpp-python: the schema as a GBNF grammar
    assert v.completions()[0]["response_format"]["json_schema"]["schema"] == schema
    assert "cache_prompt" not in v.completions()[0] and v.completions()[0]["top_k"] == 1


def test_the_openai_backend_kind_answers_through_the_pool(servers, monkeypatch):
    from summarizer.llm.backends import OpenAIBackend, make_backend
    from summarizer.llm.shared import shared_llm

    (b,) = servers(1)
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    monkeypatch.setenv("BRIEF_BACKEND", "openai")
    monkeypatch.setenv("BRIEF_OPENAI_BASE_URL", f"{dead}, {b.url}")
    monkeypatch.setenv("BRIEF_OPENAI_TIMEOUT", "7.5")
    s = Settings.from_env()
    llm = shared_llm(s)
    assert isinstance(llm, RemoteLLM) and shared_llm(s) is llm and llm.pool.urls == [dead, b.url]
    assert llm.complete(PROMPT) == "Darlington was rated inadequate."
    b.text = '{"council": "Torbay"}'
    backend = make_backend(s)
    assert isinstance(backend, OpenAIBackend) and backend.pool is llm.pool  # one pool: one count of requests
    assert backend.generate_json("s", "u", {"type": "object"}).data == {"council": "Torbay"}
    assert [p for p, _ in b.requests].count("/v1/chat/completions") == 1


def test_many_threads_share_the_pool(servers):
    a, b = servers(2)
    a.delay = b.delay = 0.02
    llm = _llm(a.url, b.url)
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(llm.complete(PROMPT))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out == ["Darlington was rated inadequate."] * 16
    assert [s.in_flight for s in llm.pool.servers] == [0, 0] and a.completions() and b.completions()


def test_an_answer_through_a_server_without_logprobs_is_marked_exact_check_only(servers):
    from types import SimpleNamespace

    from retrieval.records import Chunk, Hit, SearchResult
    from summarizer.answer.answerer import Answerer
    from summarizer.settings import AnswerSettings

    (a,) = servers(1, logprobs=False, tokens=("Inspectors found 94 assessments", " had not been completed in the",
                                              " timescales agreed [1]."))
    text = ("Inspectors found 94 assessments had not been completed in the timescales agreed, which left children in "
            "situations of unassessed risk.")
    hits = [Hit(Chunk("d1#0", "d1", text, 0, len(text), ["Darlington"]), 1.0, title="Darlington", date="2015-09-01")]
    retriever = SimpleNamespace(search=lambda q, k=None, filters=None: SearchResult(q, hits, ["Darlington"]))
    llm = _llm(a.url, model="exact-only-model")
    answer = Answerer(retriever, llm, AnswerSettings()).ask("How many assessments were late in Darlington?")
    assert answer.status == "answered" and "94" in answer.text and answer.exact_check_only
    assert answer.p_answerable is None and [s.judge for s in answer.sentences] == [None]
    assert answer.to_dict()["exact_check_only"] is True
    stream = llm.stream(PROMPT)
    next(stream)
    stream.close()  # a reader that stops early frees its server
    assert llm.pool.servers[0].in_flight == 0


def test_an_answer_a_server_ended_early_continues_from_the_text_so_far(servers):
    """llama-cpp-python's server ends a streamed reply with [DONE] and no finish reason when another request
    arrives (--interrupt_requests, on by default): the answer is not left cut off."""
    (srv,) = servers(1)
    srv.mode = "end_early"
    llm = _llm(srv.url)
    assert "".join(llm.stream(PROMPT)) == "Darlington was rated inadequate."
    first, second = srv.completions()
    assert second["prompt"] == PROMPT + "Darlington was"
