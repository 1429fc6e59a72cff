"""One model per process and configuration, shared by the answerer, the eval checker and the backends: the
in-process llama.cpp model, or (backend kind "openai") the pool of servers in BRIEF_OPENAI_BASE_URL."""
from __future__ import annotations

import threading

from summarizer.llm.interface import Generator
from summarizer.llm.local import LocalLLM
from summarizer.llm.remote import remote_llm
from summarizer.settings import Settings

_LLMS: dict[tuple, Generator] = {}
_LLMS_LOCK = threading.Lock()


def shared_llm(settings: Settings) -> Generator:
    """One model per process and configuration: a RemoteLLM over the servers when settings.backend.kind is "openai",
    else the loaded local model."""
    m, b = settings.model, settings.backend
    if b.kind == "openai":
        key: tuple = ("openai", b.base_url, b.model, b.api_key, b.timeout_s, m.n_ctx, m.max_answer_tokens)
    else:
        key = (m.model_path, m.model_id, m.n_ctx, m.n_threads)
    with _LLMS_LOCK:
        if key not in _LLMS:
            _LLMS[key] = remote_llm(settings) if b.kind == "openai" else LocalLLM(m)
        return _LLMS[key]
