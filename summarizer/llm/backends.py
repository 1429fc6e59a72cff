"""Model backends behind one small interface: generate JSON against a schema, and stream text.

- ``LlamaBackend``: llama.cpp in-process (the default; wraps LocalLLM, grammar-constrained JSON).
- ``TransformersBackend``: a local Hugging Face model directory, or the GGUF loaded through transformers (loaded
  once per process by summarizer.llm.hf, whose HFGenerator answers questions with the same model).
- ``OpenAIBackend``: any OpenAI-compatible HTTP server (vLLM, llama.cpp's server, TGI), or a pool of them
  (a comma-separated BRIEF_OPENAI_BASE_URL; summarizer.llm.pool).
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from summarizer.llm.errors import (NO_BASE_URL, BackendError, BackendTimeout,  # noqa: F401 - re-exported
                                   BackendUnavailable)
from summarizer.llm.json_text import _close_truncated, parse_json  # noqa: F401 - re-exported
from summarizer.settings import BackendSettings, Settings


@dataclass
class Generation:
    data: dict
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class Backend(Protocol):
    name: str
    model_id: str
    parallel: bool  # can serve several requests at once

    def generate_json(self, system: str, user: str, schema: dict, max_tokens: int = 600) -> Generation: ...

    def stream_text(self, system: str, user: str, max_tokens: int = 200) -> Iterator[str]: ...


def chatml(system: str, user: str) -> str:
    return f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


class LlamaBackend:
    """llama.cpp in-process; one context per process, so requests are serialised (parallel=False)."""

    name = "llama"
    parallel = False

    def __init__(self, llm) -> None:
        self.llm = llm

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def _ensure_loaded(self) -> None:
        """Load the model now, so a damaged file stops the batch once instead of failing every document."""
        try:
            self.llm.llm  # noqa: B018 - the property loads the model
        except (ValueError, OSError) as e:
            raise BackendUnavailable(f"the model file could not be loaded ({e}); run `make setup` to restore it, "
                                     "or point BRIEF_MODEL_PATH at a good GGUF file") from e

    def generate_json(self, system: str, user: str, schema: dict, max_tokens: int = 600) -> Generation:
        self._ensure_loaded()
        t0 = time.perf_counter()
        try:
            data = self.llm.complete_json(chatml(system, user), schema, max_tokens=max_tokens)
        except ValueError as e:  # truncated JSON at max_tokens
            raise BackendError(f"the model's JSON was cut off or invalid: {e}") from e
        st = self.llm.last
        return Generation(data, st.prompt_tokens, st.completion_tokens, time.perf_counter() - t0)

    def stream_text(self, system: str, user: str, max_tokens: int = 200) -> Iterator[str]:
        self._ensure_loaded()
        yield from self.llm.stream(chatml(system, user), max_tokens=max_tokens, stop=["<|im_end|>"])

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]:
        """Label probabilities from the next-token logits of a raw prompt (findings by sentence)."""
        self._ensure_loaded()
        return self.llm.choice_probabilities(prompt, choices)


class TransformersBackend:
    """A Hugging Face causal LM (a local model directory, or a GGUF file through transformers' gguf loader).

    Imported lazily. No constrained decoding: the schema is described in the prompt and the output parsed.
    """

    name = "transformers"
    parallel = False

    def __init__(self, model: str | Path, device: str | None = None, threads: int | None = None) -> None:
        self.path = Path(model)
        self.device = device
        self.threads = threads
        self._lock = threading.Lock()
        self._tok = self._model = None

    @property
    def model_id(self) -> str:
        return f"hf:{self.path.name}"

    def _load(self):
        if self._model is None:
            from summarizer.llm.hf import load_pretrained

            self._tok, self._model = load_pretrained(self.path, self.device, self.threads)
        return self._tok, self._model

    def _generate(self, system: str, user: str, max_tokens: int) -> tuple[str, int, int]:
        import torch

        tok, model = self._load()
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt")
        if not hasattr(ids, "shape"):
            ids = ids["input_ids"]
        ids = ids.to(model.device)
        with self._lock, torch.no_grad():
            out = model.generate(ids, max_new_tokens=max_tokens, do_sample=False)
        new = out[0, ids.shape[1]:]
        return tok.decode(new, skip_special_tokens=True), int(ids.shape[1]), int(new.shape[0])

    def generate_json(self, system: str, user: str, schema: dict, max_tokens: int = 600) -> Generation:
        t0 = time.perf_counter()
        text, p, c = self._generate(system, user + "\nReply with one JSON object matching this schema:\n"
                                    + json.dumps(schema), max_tokens)
        return Generation(parse_json(text), p, c, time.perf_counter() - t0)

    def stream_text(self, system: str, user: str, max_tokens: int = 200) -> Iterator[str]:
        yield self._generate(system, user, max_tokens)[0]


class OpenAIBackend:
    """Any OpenAI-compatible chat-completions server, or several (a comma-separated base URL: a ServerPool picks the
    least-busy healthy one and retries on another); JSON via response_format with the schema."""

    name = "openai"
    parallel = True

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0) -> None:
        from summarizer.llm.pool import shared_pool

        self.pool = shared_pool(base_url, api_key, timeout_s)
        self.base_url = ", ".join(self.pool.urls)
        self.model = model
        self.timeout_s = timeout_s

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def _post(self, body: dict) -> dict:
        def request(server) -> tuple[str, dict]:  # "default": the server's own first model
            model = server.models[0] if self.model == "default" and server.models else self.model
            return "/v1/chat/completions", {**body, "model": model}

        return self.pool.post(request)[0]

    def generate_json(self, system: str, user: str, schema: dict, max_tokens: int = 600) -> Generation:
        t0 = time.perf_counter()
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0.0,
            "max_tokens": max_tokens,
            "response_format": {"type": "json_object", "schema": schema},
        }
        out = self._post(body)
        try:
            text = out["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as e:
            raise BackendError(f"unexpected response from {self.base_url}: {str(out)[:200]}") from e
        usage = out.get("usage") or {}
        return Generation(parse_json(text), int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                          time.perf_counter() - t0)

    def stream_text(self, system: str, user: str, max_tokens: int = 200) -> Iterator[str]:
        body = {"model": self.model, "temperature": 0.0, "max_tokens": max_tokens,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        out = self._post(body)
        yield out["choices"][0]["message"]["content"] or ""

    def close(self) -> None:
        """Nothing to close: the pool is shared by every user of these servers in the process."""


def make_backend(settings: Settings, llm=None) -> Backend:
    """The backend the settings ask for."""
    b: BackendSettings = settings.backend
    if b.kind == "openai":
        if not b.base_url:
            raise BackendUnavailable(NO_BASE_URL)
        return OpenAIBackend(b.base_url, b.model or "default", b.api_key, b.timeout_s)
    if b.kind == "transformers":  # the model is loaded once per process, shared with HFGenerator (answers)
        from summarizer.llm.hf import transformers_path

        return TransformersBackend(transformers_path(settings), threads=settings.model.n_threads)
    if b.kind != "llama":
        raise BackendUnavailable(f"Unknown backend {b.kind!r}; use llama, transformers or openai")
    if llm is None:
        from summarizer.llm.shared import shared_llm

        llm = shared_llm(settings)
    return LlamaBackend(llm)
