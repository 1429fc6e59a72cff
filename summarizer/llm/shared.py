"""One model per process and configuration, shared by the answerer, the eval checker and the backends: the
in-process llama.cpp model, the in-process transformers model (backend kind "transformers"), or (kind "openai")
the pool of servers in BRIEF_OPENAI_BASE_URL."""
from __future__ import annotations

import threading

from summarizer.llm.hf import HFGenerator, transformers_path
from summarizer.llm.interface import Generator
from summarizer.llm.local import LocalLLM
from summarizer.llm.remote import remote_llm
from summarizer.settings import Settings

_LLMS: dict[tuple, Generator] = {}
_LLMS_LOCK = threading.Lock()


def _key(settings: Settings) -> tuple:
    """What tells two configurations' models apart."""
    m, b = settings.model, settings.backend
    if b.kind == "openai":
        return ("openai", b.base_url, b.model, b.api_key, b.timeout_s, m.n_ctx, m.max_answer_tokens)
    if b.kind == "transformers":
        return ("transformers", b.hf_model, m.model_path, m.n_ctx, m.max_answer_tokens, m.n_threads)
    return (m.model_path, m.model_id, m.n_ctx, m.n_threads)


def _make(settings: Settings) -> Generator:
    kind = settings.backend.kind
    if kind == "openai":
        return remote_llm(settings)
    if kind == "transformers":
        return HFGenerator(settings.model, transformers_path(settings))
    return LocalLLM(settings.model)


def shared_llm(settings: Settings) -> Generator:
    """One model per process and configuration: a RemoteLLM over the servers when settings.backend.kind is "openai",
    an HFGenerator when it is "transformers", else the local llama.cpp model (loaded on first use)."""
    key = _key(settings)
    with _LLMS_LOCK:
        if key not in _LLMS:
            _LLMS[key] = _make(settings)
        return _LLMS[key]
