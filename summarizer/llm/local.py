"""The local generator (llama.cpp in-process): loads lazily once, streams text, scores yes/no from logits."""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from summarizer.llm.model_files import ensure_model
from summarizer.llm.prefix_cache import PREFIX_END, PrefixStates, restore_sequence, save_sequence
from summarizer.settings import ModelSettings


# the chat template's own markers: the only text ever parsed as special tokens (prompts.untrusted neutralises any
# marker inside documents or questions, and every other special token in the text stays plain text)
TEMPLATE_TOKENS = re.compile(r"(<\|im_start\|>|<\|im_end\|>)")


class PromptTooLong(ValueError):
    """A prompt that would not fit the model's context (the caller must bound its input)."""


@dataclass
class GenerationStats:
    """Timings of the last generation, for benchmarks and the UI."""

    prompt_tokens: int = 0
    reused_tokens: int = 0
    completion_tokens: int = 0
    first_token_s: float = 0.0
    total_s: float = 0.0


class NextTokenScores:
    """yes/no and label probabilities read from the next token's distribution, the same for every in-process model:
    a subclass gives next_token_distribution(prompt) (a softmax over the vocabulary) and tokenize(text)."""

    YES = ("yes", "Yes", " yes", " Yes", "YES")
    NO = ("no", "No", " no", " No", "NO")

    def next_token_distribution(self, prompt: str) -> np.ndarray:
        raise NotImplementedError

    def tokenize(self, text: str) -> list[int]:
        raise NotImplementedError

    def yes_probability(self, prompt: str) -> float:
        """P(yes) / (P(yes) + P(no)) for the next token; the prompt should ask a yes/no question."""
        p = self.next_token_distribution(prompt)
        yes = sum(p[t] for t in self._first_tokens(self.YES))
        no = sum(p[t] for t in self._first_tokens(self.NO))
        return float(yes / (yes + no)) if yes + no > 0 else 0.5

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]:
        """P(choice) for the next token over the choices only (each by its first token, with or without a leading
        space), normalised to sum to 1: a label read from logits in one forward pass."""
        p = self.next_token_distribution(prompt)
        mass = {c: sum(p[t] for t in self._first_tokens((c, " " + c))) for c in choices}
        total = sum(mass.values())
        return {c: float(m / total) if total > 0 else 1.0 / len(choices) for c, m in mass.items()}

    def _first_tokens(self, words: tuple[str, ...]) -> set[int]:
        return {self.tokenize(w)[0] for w in words}


class LocalLLM(NextTokenScores):
    """One llama.cpp model per process; calls are serialised by a lock (the context is not thread-safe)."""

    supports_logprobs = True  # the whole next-token distribution (summarizer.llm.interface.Generator)

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._llm = None
        self._load_lock = threading.Lock()
        self.lock = threading.RLock()
        self.last = GenerationStats()
        self.prefixes = PrefixStates(settings.prefix_cache_mb << 20)

    @property
    def model_id(self) -> str:
        return self.settings.model_id

    @property
    def llm(self):
        if self._llm is None:
            with self._load_lock:
                if self._llm is None:
                    from llama_cpp import Llama

                    path = self.settings.model_path or ensure_model(self.settings.cache_dir / "models")
                    self._llm = Llama(
                        model_path=str(path),
                        n_ctx=self.settings.n_ctx,
                        n_threads=self.settings.n_threads,
                        n_threads_batch=self.settings.n_threads,
                        n_batch=self.settings.n_batch,
                        seed=self.settings.seed,
                        verbose=False,
                    )
        return self._llm

    def tokenize(self, text: str) -> list[int]:
        """Tokens of text; only the template's <|im_start|>/<|im_end|> become special tokens."""
        return self._tokenize_marked(text)[0]

    def _tokenize_marked(self, text: str) -> tuple[list[int], int | None]:
        """Tokens of text, and where the cacheable prefix ends (before PREFIX_END; None without one). The text is
        tokenized in pieces cut at the template markers and at PREFIX_END, so a prefix always tokenizes the same."""
        out: list[int] = []
        boundary = None
        head, sep, tail = text.partition(PREFIX_END)
        for piece_i, piece in enumerate((head, sep + tail) if sep else (text,)):
            if piece_i == 1:
                boundary = len(out)
            for i, part in enumerate(TEMPLATE_TOKENS.split(piece)):
                if part:
                    out.extend(self.llm.tokenize(part.encode("utf-8"), add_bos=False, special=i % 2 == 1))
        return out, boundary

    def _check_fits(self, tokens: list[int], reserve: int) -> None:
        if len(tokens) + reserve > self.settings.n_ctx:
            raise PromptTooLong(f"the prompt has {len(tokens)} tokens; with {reserve} to generate it exceeds the "
                                f"model's context of {self.settings.n_ctx}")

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def _common_prefix(self, tokens: list[int]) -> int:
        llm = self.llm
        n = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens], tokens):
            if a != b:
                break
            n += 1
        return n

    def _reuse_prefix(self, tokens: list[int], boundary: int | None) -> int:
        """Make the context hold the longest known prefix of tokens (live, or restored from a saved state), and
        read and save the prefix up to boundary when it is new; returns how many tokens are in the context."""
        llm = self.llm
        keep = self._common_prefix(tokens)
        saved = self.prefixes.longest(tokens)
        if saved is not None and len(saved[0]) > keep and restore_sequence(llm, *saved):
            keep = len(saved[0])
        if boundary is not None and keep < boundary < len(tokens):
            llm._ctx.kv_cache_seq_rm(-1, keep, -1)
            llm.n_tokens = keep
            llm.eval(tokens[keep:boundary])
            self.prefixes.put(tuple(tokens[:boundary]), save_sequence(llm))
            keep = boundary
        return keep

    def _eval_with_reuse(self, tokens: list[int], boundary: int | None = None) -> int:
        """Evaluate tokens, reusing the KV cache of the longest prefix already evaluated; returns reused count."""
        llm = self.llm
        reused = self._reuse_prefix(tokens, boundary)
        keep = min(reused, len(tokens) - 1)
        llm._ctx.kv_cache_seq_rm(-1, keep, -1)
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        return keep

    def next_token_distribution(self, prompt: str) -> np.ndarray:
        """Softmax over the vocabulary for the token after prompt."""
        with self.lock:
            tokens, boundary = self._tokenize_marked(prompt)
            self._check_fits(tokens, 1)
            t0 = time.perf_counter()
            reused = self._eval_with_reuse(tokens, boundary)
            logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),)).astype(np.float64)
            self.last = GenerationStats(len(tokens), reused, 0, time.perf_counter() - t0, time.perf_counter() - t0)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def stream(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> Iterator[str]:
        """Stream completion text for a raw (already templated) prompt, reusing the cached prefix."""
        with self.lock:
            llm = self.llm
            tokens, boundary = self._tokenize_marked(prompt)
            self._check_fits(tokens, 1)  # generation stops at the context's end (max_tokens is a cap, not a need)
            t0 = time.perf_counter()
            reused = self._reuse_prefix(tokens, boundary)
            stats = GenerationStats(prompt_tokens=len(tokens), reused_tokens=reused)
            for part in llm.create_completion(
                tokens,
                max_tokens=max_tokens or self.settings.max_answer_tokens,
                temperature=self.settings.temperature,
                top_k=1,
                repeat_penalty=1.0,
                stop=stop or [],
                stream=True,
                seed=self.settings.seed,
            ):
                text = part["choices"][0]["text"]
                if stats.completion_tokens == 0:
                    stats.first_token_s = time.perf_counter() - t0
                stats.completion_tokens += 1
                yield text
            stats.total_s = time.perf_counter() - t0
            self.last = stats

    def complete(self, prompt: str, max_tokens: int | None = None, stop: list[str] | None = None) -> str:
        return "".join(self.stream(prompt, max_tokens, stop))

    def complete_json(self, prompt: str, schema: dict, max_tokens: int = 800) -> dict:
        """A completion constrained to a JSON schema, parsed."""
        from llama_cpp import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        with self.lock:
            tokens = self.tokenize(prompt)
            t0 = time.perf_counter()
            out = self.llm.create_completion(
                tokens, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0, grammar=grammar,
                seed=self.settings.seed,
            )
            text = out["choices"][0]["text"]
            self.last = GenerationStats(len(tokens), 0, out["usage"]["completion_tokens"], 0.0, time.perf_counter() - t0)
        return json.loads(text)

    json = complete_json  # the Generator interface's name
