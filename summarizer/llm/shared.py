"""One loaded local model per process and model configuration, shared by the answerer and the backends."""
from __future__ import annotations

import threading

from summarizer.llm.local import LocalLLM
from summarizer.settings import Settings

_LLMS: dict[tuple, LocalLLM] = {}
_LLMS_LOCK = threading.Lock()


def shared_llm(settings: Settings) -> LocalLLM:
    """One loaded model per process and model configuration."""
    m = settings.model
    key = (m.model_path, m.model_id, m.n_ctx, m.n_threads)
    with _LLMS_LOCK:
        if key not in _LLMS:
            _LLMS[key] = LocalLLM(m)
        return _LLMS[key]
