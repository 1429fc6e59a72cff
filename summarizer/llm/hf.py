"""The Generator interface over a Hugging Face causal LM in-process (backend kind "transformers"): a model directory,
or the bundled GGUF read by transformers' gguf loader. Greedy decoding token by token, P(yes) from the next token's
logits; JSON is generated unconstrained (the prompt must describe the schema) and parsed by json_text."""
from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from summarizer.llm.errors import BackendUnavailable
from summarizer.llm.json_text import parse_json
from summarizer.llm.local import TEMPLATE_TOKENS, GenerationStats, NextTokenScores, PromptTooLong
from summarizer.settings import ModelSettings, Settings

_LOADED: dict[tuple[str, str | None], tuple[Any, Any]] = {}
_LOAD_LOCK = threading.Lock()


def transformers_path(settings: Settings) -> Path:
    """The model the transformers backend loads: BRIEF_HF_MODEL, else BRIEF_MODEL_PATH, else the bundled GGUF."""
    path = settings.backend.hf_model or settings.model.model_path
    if not path:
        from summarizer.llm.model_files import ensure_model

        path = ensure_model(settings.model.cache_dir / "models")
    return Path(path)


def _from_pretrained(path: Path) -> tuple[str, dict]:
    """(source, keyword arguments) for from_pretrained: a model directory, or a .gguf file beside its parent."""
    if path.is_file() and path.suffix == ".gguf":
        try:
            import gguf  # noqa: F401
        except ImportError as e:
            raise BackendUnavailable(
                "Loading a GGUF through transformers needs the 'gguf' package (pip install gguf)") from e
        return str(path.parent), {"gguf_file": path.name}
    if path.is_dir():
        return str(path), {}
    raise BackendUnavailable(f"No Hugging Face model directory or .gguf file at {path}")


def load_pretrained(path: str | Path, device: str | None = None, threads: int | None = None) -> tuple[Any, Any]:
    """(tokenizer, model) for path, loaded once per process and device, in eval mode; shared by the summaries'
    TransformersBackend and HFGenerator. threads sets torch's CPU threads (process-wide)."""
    path = Path(path)
    if threads:
        import torch

        torch.set_num_threads(threads)
    key = (str(path.resolve()), device)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as e:  # pragma: no cover
                raise BackendUnavailable(f"transformers is not installed: {e}") from e
            src, kw = _from_pretrained(path)
            tok = AutoTokenizer.from_pretrained(src, **kw)
            model = AutoModelForCausalLM.from_pretrained(src, **kw)
            if device:
                model.to(device)
            model.eval()
            _LOADED[key] = (tok, model)
        return _LOADED[key]


def _cache_argument(model: Any) -> str:
    """The name of the KV cache in a model's forward arguments and outputs: "cache" (transformers 5), else the older
    "past_key_values"."""
    return "cache" if "cache" in inspect.signature(getattr(model, "forward", model)).parameters else "past_key_values"


def until_stop(pieces: Iterable[str], stop: list[str]) -> Iterator[str]:
    """The text of pieces up to the first stop string (which is not given), holding back only a tail that may be the
    start of one."""
    buf = ""
    for piece in pieces:
        buf += piece
        hits = [i for i in (buf.find(s) for s in stop if s) if i >= 0]
        if hits:
            if min(hits):
                yield buf[: min(hits)]
            return
        hold = max((n for s in stop for n in range(1, len(s)) if buf.endswith(s[:n])), default=0)
        if len(buf) > hold:
            yield buf[: len(buf) - hold]
            buf = buf[len(buf) - hold:]
    if buf:
        yield buf


class HFGenerator(NextTokenScores):
    """summarizer.llm.interface.Generator over a transformers model, loaded lazily once; calls are serialised."""

    supports_logprobs = True  # the whole next-token distribution

    def __init__(self, settings: ModelSettings, path: str | Path, device: str | None = None,
                 loaded: tuple[Any, Any] | None = None) -> None:
        self.settings = settings
        self.path = Path(path)
        self.device = device
        self._loaded = loaded  # (tokenizer, model): given by tests, else load_pretrained on first use
        self.lock = threading.RLock()
        self.last = GenerationStats()

    @property
    def model_id(self) -> str:
        return f"hf:{self.path.name}"

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self._loaded = load_pretrained(self.path, self.device, self.settings.n_threads)
        return self._loaded

    def tokenize(self, text: str) -> list[int]:
        """Tokens of text; only the template's <|im_start|>/<|im_end|> become special tokens (as LocalLLM)."""
        tok = self._load()[0]
        out: list[int] = []
        for i, part in enumerate(TEMPLATE_TOKENS.split(text)):
            if part and i % 2:
                out.append(tok.convert_tokens_to_ids(part))
            elif part:
                out.extend(tok.encode(part, add_special_tokens=False, split_special_tokens=True))
        return out

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def _prompt_ids(self, prompt: str) -> list[int]:
        ids = self.tokenize(prompt)
        if len(ids) + 1 > self.settings.n_ctx:
            raise PromptTooLong(f"the prompt has {len(ids)} tokens; with 1 to generate it exceeds the model's "
                                f"context of {self.settings.n_ctx}")
        return ids

    def next_token_distribution(self, prompt: str) -> np.ndarray:
        """Softmax over the vocabulary for the token after prompt."""
        import torch

        _, model = self._load()
        with self.lock, torch.no_grad():
            ids = self._prompt_ids(prompt)
            t0 = time.perf_counter()
            logits = model(input_ids=torch.tensor([ids], device=model.device)).logits[0, -1]
            self.last = GenerationStats(len(ids), 0, 0, time.perf_counter() - t0, time.perf_counter() - t0)
        z = logits.double().cpu().numpy()
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    def _eos_ids(self) -> set[int]:
        tok, model = self._load()
        ids = {tok.eos_token_id, tok.convert_tokens_to_ids("<|im_end|>")}
        gen = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        ids.update(gen if isinstance(gen, list) else [gen])
        return {i for i in ids if isinstance(i, int)}

    def _greedy(self, ids: list[int], max_tokens: int) -> Iterator[int]:
        """Greedy next tokens after ids (the KV cache carried between steps), up to an end token or max_tokens."""
        import torch

        _, model = self._load()
        eos, past, name = self._eos_ids(), None, _cache_argument(model)
        x = torch.tensor([ids], device=model.device)
        with torch.no_grad():
            for _ in range(max_tokens):
                out = model(input_ids=x, use_cache=True, **{name: past})
                past, nxt = getattr(out, name), int(out.logits[0, -1].argmax())
                if nxt in eos:
                    return
                yield nxt
                x = torch.tensor([[nxt]], device=model.device)

    def _pieces(self, tokens: Iterable[int], stats: GenerationStats) -> Iterator[str]:
        """Text as tokens arrive (a piece ending inside a multi-byte character waits for the next token)."""
        tok = self._load()[0]
        ids: list[int] = []
        shown = 0
        for t in tokens:
            ids.append(t)
            stats.completion_tokens += 1
            text = tok.decode(ids, skip_special_tokens=True)
            if len(text) > shown and not text.endswith("\ufffd"):
                yield text[shown:]
                shown = len(text)

    def stream(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> Iterator[str]:
        """Stream greedy completion text for a raw (already templated) prompt, cut before the first stop string."""
        with self.lock:
            ids = self._prompt_ids(prompt)
            budget = min(max_tokens or self.settings.max_answer_tokens, self.settings.n_ctx - len(ids))
            stats = GenerationStats(prompt_tokens=len(ids))
            t0 = time.perf_counter()
            for piece in until_stop(self._pieces(self._greedy(ids, budget), stats), stop or []):
                if not stats.first_token_s:
                    stats.first_token_s = time.perf_counter() - t0
                yield piece
            stats.total_s = time.perf_counter() - t0
            self.last = stats

    def complete(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> str:
        return "".join(self.stream(prompt, max_tokens, stop))

    def json(self, prompt: str, schema: dict, max_tokens: int = 800) -> dict:
        """A JSON object from an unconstrained completion (schema is not enforced: the prompt must describe it),
        parsed by json_text.parse_json, which keeps the whole items of an object cut off at max_tokens."""
        del schema  # no constrained decoding in this backend
        return parse_json(self.complete(prompt, max_tokens, stop=["<|im_end|>"]))

    complete_json = json  # LocalLLM's name, used by LlamaBackend
