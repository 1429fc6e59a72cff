"""The one model interface every job uses (answerer, answer gate, per-sentence judge, eval checker): LocalLLM
(llama.cpp in-process, the default) and RemoteLLM (a pool of OpenAI-compatible servers) both satisfy it."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from summarizer.llm.errors import NoLogprobs
from summarizer.llm.local import GenerationStats
from summarizer.settings import ModelSettings

log = logging.getLogger(__name__)


@runtime_checkable
class Generator(Protocol):
    """Text generation over raw (already templated) prompts, and next-token probabilities where the backend has
    them (supports_logprobs; without them yes_probability raises NoLogprobs)."""

    settings: ModelSettings  # n_ctx and max_answer_tokens bound the prompts the answerer builds
    supports_logprobs: bool

    @property
    def model_id(self) -> str: ...

    @property
    def last(self) -> GenerationStats: ...

    def complete(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> str: ...

    def stream(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> Iterator[str]: ...

    def yes_probability(self, prompt: str) -> float: ...

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]: ...

    def count_tokens(self, text: str) -> int: ...

    def json(self, prompt: str, schema: dict, max_tokens: int = 800) -> dict: ...


_warned: set[str] = set()
_warned_lock = threading.Lock()


def logprobs_available(llm: object) -> bool:
    """Whether llm can give P(yes) (a model without the attribute is assumed to); when it cannot, the log says
    once per model that the gate and judge fall back to the exact checks."""
    if getattr(llm, "supports_logprobs", True):
        return True
    model = str(getattr(llm, "model_id", "the model"))
    with _warned_lock:
        first = model not in _warned
        _warned.add(model)
    if first:
        log.warning("%s gives no logprobs: the answer gate and judge use the exact checks only", model)
    return False


def yes_probability_or_none(llm, prompt: str) -> float | None:
    """The model's P(yes) for a yes/no prompt, or None when it gives no logprobs (the caller uses the exact checks)."""
    if not logprobs_available(llm):
        return None
    try:
        return llm.yes_probability(prompt)
    except NoLogprobs:
        logprobs_available(llm)  # supports_logprobs is False now: say so once
        return None
