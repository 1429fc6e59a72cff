"""The generator over OpenAI-compatible completion servers (llama.cpp's servers, vLLM, TGI), through a ServerPool:
the same raw ChatML prompts as the in-process model, greedy decoding, P(yes) from the top logprobs of one token."""
from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing

from summarizer.llm.errors import NO_BASE_URL, BackendError, BackendUnavailable, NoLogprobs
from summarizer.llm.json_text import parse_json
from summarizer.llm.local import GenerationStats
from summarizer.llm.pool import (LLAMA_FLAVOURS, Server, ServerPool, ServerRefused, StreamInterrupted,
                                 shared_pool)
from summarizer.llm.prefix_cache import PREFIX_END
from summarizer.settings import ModelSettings, Settings

log = logging.getLogger(__name__)

COMPLETIONS = "/v1/completions"
_PROBE = "Answer yes or no. Is water wet?\nAnswer:"  # one token with logprobs: does the server give them?
_TOKENIZE = {  # flavour -> (path, body of a text): each server's own tokenizer endpoint
    "llama-cpp-python": ("/extras/tokenize", lambda text, model: {"input": text}),
    "llama-server": ("/tokenize", lambda text, model: {"content": text}),
    "vllm": ("/tokenize", lambda text, model: {"prompt": text, **({"model": model} if model else {})}),
}


def top_logprobs_of(choice: dict) -> dict[str, float]:
    """Token text -> logprob for the first generated position, from either shape servers send: the completions
    API's {"top_logprobs": [{token: logprob}]} (llama-cpp-python, vLLM, OpenAI) or llama-server's
    {"content": [{"token", "logprob", "top_logprobs": [{"token", "logprob"}]}]}."""
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        return {}
    top = lp.get("top_logprobs")
    if isinstance(top, list) and top and isinstance(top[0], dict):
        return {str(t): float(v) for t, v in top[0].items() if v is not None}
    content = lp.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        entries = content[0].get("top_logprobs") or [content[0]]
        return {str(e["token"]): float(e["logprob"]) for e in entries if "token" in e and e.get("logprob") is not None}
    return {}


def _mass(top: dict[str, float], word: str) -> float:
    """Probability of the next token starting the word (with or without a leading space, as LocalLLM counts it)."""
    return sum(math.exp(lp) for t, lp in top.items() if (s := t[1:] if t.startswith(" ") else t) and word.startswith(s))


def _choice(out: dict) -> dict:
    try:
        return out["choices"][0]
    except (KeyError, IndexError, TypeError) as e:
        raise BackendError(f"unexpected reply from the model server: {str(out)[:200]}") from e


def _gbnf(schema: dict) -> str | None:
    """The JSON schema as a GBNF grammar, for llama-cpp-python's server (it takes no schema itself)."""
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        return json_schema_to_gbnf(json.dumps(schema))
    except Exception:  # noqa: BLE001 - no grammar: the reply is parsed as it comes
        return None


class RemoteLLM:
    """The Generator interface over a pool of completion servers; safe to call from many threads at once."""

    def __init__(self, pool: ServerPool, settings: ModelSettings | None = None, model: str | None = None,
                 top_logprobs: int = 20) -> None:
        self.pool = pool
        self.settings = settings or ModelSettings()
        self.model = model
        self.top_logprobs = top_logprobs
        self.lock = threading.RLock()  # for callers that serialise around LocalLLM.lock; never held here
        self._local = threading.local()
        self._last_any = GenerationStats()
        self._logprobs: bool | None = None
        self._probe_lock = threading.Lock()
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()
        self._no_tokenizer: set[str] = set()

    @property
    def model_id(self) -> str:
        return f"openai:{self.model or 'default'}"

    @property
    def last(self) -> GenerationStats:
        """The stats of this thread's last call (else of the process's last call)."""
        return getattr(self._local, "last", None) or self._last_any

    @last.setter
    def last(self, stats: GenerationStats) -> None:
        self._local.last = self._last_any = stats

    @property
    def supports_logprobs(self) -> bool:
        """Whether the servers give logprobs (asked once with a one-token probe; True while they cannot be reached)."""
        if self._logprobs is None:
            with self._probe_lock:
                if self._logprobs is None:
                    try:
                        self.top(_PROBE)
                    except NoLogprobs:
                        pass
                    except BackendError:
                        return True
        return bool(self._logprobs)

    # --- request bodies ---------------------------------------------------------------------------------------------
    def _body(self, server: Server, prompt: str, max_tokens: int, stop: list[str] | None = None, **extra) -> dict:
        """A greedy completion request for this server: llama.cpp servers also get top_k 1, no repeat penalty and
        cache_prompt (reuse the KV cache of the prompt's shared prefix); vLLM reuses prefixes by itself."""
        body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "seed": self.settings.seed, **extra}
        model = self.model or (server.models[0] if server.models else None)
        if model:
            body["model"] = model
        if stop:
            body["stop"] = stop
        if server.flavour in LLAMA_FLAVOURS:
            body.update(top_k=1, repeat_penalty=1.0, cache_prompt=True)
        elif server.flavour == "vllm":
            body["top_k"] = 1
        return body

    @staticmethod
    def _affinity(prompt: str) -> str | None:
        """A key of the prompt's cacheable prefix (before PREFIX_END), so its next prompts go where it is cached."""
        head, sep, _ = prompt.partition(PREFIX_END)
        return hashlib.sha1(head.encode("utf-8")).hexdigest()[:16] if sep else None

    def _stats(self, out: dict, t0: float, first_token_s: float = 0.0) -> GenerationStats:
        usage = out.get("usage") or {}
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        total = time.perf_counter() - t0
        return GenerationStats(int(usage.get("prompt_tokens") or 0), int(cached), int(usage.get("completion_tokens")
                               or 0), first_token_s or total, total)

    # --- generation -------------------------------------------------------------------------------------------------
    def complete(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> str:
        """The completion text of a raw (already templated) prompt."""
        t0 = time.perf_counter()
        n = max_tokens or self.settings.max_answer_tokens
        out, _ = self.pool.post(lambda s: (COMPLETIONS, self._body(s, prompt, n, stop)), self._affinity(prompt))
        self.last = self._stats(out, t0)
        return _choice(out).get("text") or ""

    def stream(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> Iterator[str]:
        """Stream the completion of a raw prompt. When a server dies mid-answer, the answer continues on another from
        the prompt plus the text so far (greedy decoding continues it the same way)."""
        budget = max_tokens or self.settings.max_answer_tokens
        t0 = time.perf_counter()
        stats, done = GenerationStats(), ""
        for _ in range(len(self.pool) + 1):
            left = budget - stats.completion_tokens
            if left <= 0:
                break
            request = lambda s, p=prompt + done, n=left: (  # noqa: E731
                COMPLETIONS, self._body(s, p, n, stop, stream=True))
            before, finished = len(done), False
            try:
                with closing(self.pool.stream(request, self._affinity(prompt))) as events:  # closed if we stop early
                    for event in events:
                        choice = _choice(event)
                        finished = finished or bool(choice.get("finish_reason"))
                        if text := choice.get("text") or "":
                            stats.first_token_s = stats.first_token_s or time.perf_counter() - t0
                            stats.completion_tokens += 1
                            done += text
                            yield text
            except StreamInterrupted as e:
                log.warning("%s; the answer continues on another server", e)
                continue
            if finished or len(done) == before:
                break
            # ended without a finish reason: the server cut it short (llama-cpp-python's server stops a streamed
            # reply when another request arrives, unless started with --interrupt_requests False)
            log.warning("a model server ended an answer early; it continues from the text so far")
        else:
            raise BackendUnavailable("every model server failed during this answer")
        stats.total_s = time.perf_counter() - t0
        self.last = stats

    def json(self, prompt: str, schema: dict, max_tokens: int = 800) -> dict:
        """A completion constrained to the JSON schema where the server can (llama-cpp-python: a grammar; llama-server:
        json_schema; vLLM: response_format), parsed either way."""
        def request(s: Server) -> tuple[str, dict]:
            body = self._body(s, prompt, max_tokens)
            if s.flavour == "llama-cpp-python" and (grammar := _gbnf(schema)):
                body["grammar"] = grammar
            elif s.flavour == "llama-server":
                body["json_schema"] = schema
            elif s.flavour == "vllm":
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": "brief", "schema": schema}}
            return COMPLETIONS, body

        t0 = time.perf_counter()
        out, _ = self.pool.post(request, self._affinity(prompt))
        self.last = self._stats(out, t0)
        return parse_json(_choice(out).get("text") or "")

    complete_json = json  # LocalLLM's name, used by LlamaBackend

    # --- next-token probabilities -----------------------------------------------------------------------------------
    def top(self, prompt: str) -> dict[str, float]:
        """Token text -> logprob of the most likely next tokens (top_logprobs of them); NoLogprobs when the server
        gives none."""
        t0 = time.perf_counter()
        try:
            out, server = self.pool.post(
                lambda s: (COMPLETIONS, self._body(s, prompt, 1, logprobs=self.top_logprobs)), self._affinity(prompt))
        except BackendError as e:  # e.g. llama-cpp-python started with --logits_all false refuses the request
            if "logprob" not in str(e).lower():
                raise
            self._logprobs = False
            raise NoLogprobs(f"the model server refused logprobs ({e})") from e
        top = top_logprobs_of(_choice(out))
        self.last = self._stats(out, t0)
        if not top:
            self._logprobs = False
            raise NoLogprobs(f"the model server at {server.url} returned no logprobs")
        self._logprobs = True
        return top

    def yes_probability(self, prompt: str) -> float:
        """P(yes) / (P(yes) + P(no)) over the next token's top logprobs (0.5 when neither is among them)."""
        top = self.top(prompt)
        yes = sum(math.exp(lp) for t, lp in top.items() if t.strip().lower() == "yes")
        no = sum(math.exp(lp) for t, lp in top.items() if t.strip().lower() == "no")
        return yes / (yes + no) if yes + no > 0 else 0.5

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]:
        """P(choice) from the next token's top logprobs (a token counts for each choice it begins), normalised."""
        top = self.top(prompt)
        mass = {c: _mass(top, c) for c in choices}
        total = sum(mass.values())
        return {c: m / total if total > 0 else 1.0 / len(choices) for c, m in mass.items()}

    # --- tokens -----------------------------------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int] | None:
        """The server's tokens of text (template markers as special tokens), or None when it has no tokenizer
        endpoint."""
        def request(s: Server) -> tuple[str, dict]:
            path, body = _TOKENIZE.get(s.flavour, (None, None))
            if path is None or s.flavour in self._no_tokenizer:
                raise _NoTokenizer(s.flavour)
            return path, body(text, self.model or (s.models[0] if s.models else None))

        try:
            out, _ = self.pool.post(request)
        except _NoTokenizer:
            return None
        except ServerRefused as e:
            log.warning("the model server has no tokenizer endpoint (%s); token counts are estimated", e)
            self._no_tokenizer.update(s.flavour for s in self.pool.servers)
            return None
        return list(out.get("tokens") or [])

    def count_tokens(self, text: str) -> int:
        """Tokens in text by the server's tokenizer (remembered), else an estimate of one token per 3 characters."""
        with self._counts_lock:
            if text in self._counts:
                return self._counts[text]
        tokens = self.tokenize(text)
        n = len(tokens) if tokens is not None else -(-len(text) // 3)
        with self._counts_lock:
            self._counts[text] = n
            while len(self._counts) > 512:
                self._counts.popitem(last=False)
        return n


class _NoTokenizer(Exception):
    """This kind of server has no tokenizer endpoint (raised before any request is sent)."""


def remote_llm(settings: Settings) -> RemoteLLM:
    """The RemoteLLM the backend settings describe (BRIEF_OPENAI_BASE_URL: one URL or a comma-separated list)."""
    b = settings.backend
    if not b.base_url:
        raise BackendUnavailable(NO_BASE_URL)
    return RemoteLLM(shared_pool(b.base_url, b.api_key, b.timeout_s), settings.model, b.model)
