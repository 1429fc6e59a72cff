"""What the checker measures about one claim against one source: the model's P(yes) on the whole source and on the
claim's best windows, and the exact checks. Model calls are grouped by the text judged, so the claims of one source
(or window) share its KV-cache prefix, and cached by claim, text, model and prompt so reruns cost nothing."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from summarizer.checking.cache import VerdictCache
from summarizer.checking.prompts import check_prompt
from summarizer.checking.windows import WindowSettings, best_stretch, local_windows, stretches
from summarizer.llm.interface import logprobs_available
from summarizer.support import SourceFacts, SupportCheck, check_claim

def prompt_version(prompt: Callable[[str, str], str]) -> str:
    """A fingerprint of a prompt's wording: editing it invalidates cached verdicts."""
    return hashlib.sha256(prompt("{claim}", "{source}").encode("utf-8")).hexdigest()[:16]


PROMPT_VERSION = prompt_version(check_prompt)


@dataclass
class ClaimSignals:
    """One claim's measurements against one source (p_* are None when the model gives no logprobs)."""

    claim: str
    exact: SupportCheck
    p_whole: float | None = None
    p_windows: list[float] = field(default_factory=list)  # best-ranked window first
    read: bool = False  # the model was read (False: it gives no logprobs, or there is none)
    seconds: float = 0.0  # model time these measurements cost when computed (cached ones report that cost too)
    cached: bool = True

    @property
    def p_local(self) -> float | None:
        """The best window's P(yes) (MiniCheck's max over chunks); the whole source's when it is one window."""
        return max(self.p_windows) if self.p_windows else self.p_whole

    @property
    def p_first(self) -> float | None:
        """The best-ranked window's P(yes) alone; the whole source's when it is one window."""
        return self.p_windows[0] if self.p_windows else self.p_whole

    def to_dict(self) -> dict:
        return {"claim": self.claim, "p_whole": self.p_whole, "p_windows": self.p_windows, "flags": self.exact.flags,
                "coverage": round(self.exact.coverage, 4), "seconds": round(self.seconds, 3), "cached": self.cached}


def exact_check(claim: str, source: str | SourceFacts) -> SupportCheck:
    """Numbers, dates and names the source lacks; negation and antonym flips against the closest sentence."""
    return check_claim(claim, source, check_grades=False, check_dates=True, check_contradictions=True)


class SignalReader:
    """Reads ClaimSignals for many (claim, source) pairs with one model, sharing prefixes and a verdict cache."""

    def __init__(self, llm, cache: VerdictCache | None = None, windows: WindowSettings | None = None,
                 whole: bool = True, prompt: Callable[[str, str], str] = check_prompt) -> None:
        """whole=False reads the whole source only when it is a single window (what a calibration without the
        whole-source feature needs: one model call fewer per claim)."""
        self.llm = llm
        self.cache = cache
        self.windows = windows or WindowSettings()
        self.whole = whole
        self.prompt = prompt
        self.version = prompt_version(prompt)
        self._facts: dict[str, SourceFacts] = {}

    @property
    def model_id(self) -> str:
        return str(getattr(self.llm, "model_id", "none")) if self.llm is not None else "none"

    def facts(self, source: str) -> SourceFacts:
        sf = self._facts.get(source)
        if sf is None:
            if len(self._facts) > 256:
                self._facts.clear()
            sf = self._facts[source] = SourceFacts(source)
        return sf

    def _count_tokens(self, text: str) -> int:
        counter = getattr(self.llm, "count_tokens", None)
        return counter(text) if counter is not None else max(1, len(text) // 4)

    def _texts(self, claim: str, source: str) -> tuple[str, list[str]]:
        """The text judged as the whole source, and the claim's windows."""
        whole = best_stretch(claim, stretches(source, self._count_tokens, self.windows))
        return whole, local_windows(claim, self.facts(whole), self.windows)

    def _p(self, claim: str, text: str) -> tuple[float, float, bool]:
        """(P(yes), seconds it cost, cached) for one claim against one text."""
        key = VerdictCache.key(claim, text, self.model_id, self.version)
        got = self.cache.get(key) if self.cache is not None else None
        if got is not None:
            return got[0], got[1], True
        t0 = time.perf_counter()
        p = float(self.llm.yes_probability(self.prompt(claim, text)))
        dt = time.perf_counter() - t0
        if self.cache is not None:
            self.cache.put(key, p, self.model_id, self.version, dt)
        return p, dt, False

    def read(self, pairs: list[tuple[str, str]], progress: Callable[[int, int], None] | None = None) -> list[ClaimSignals]:
        """Signals for each (claim, source) pair, in order; the model reads texts grouped, in first-seen order."""
        out = [ClaimSignals(c, exact_check(c, self.facts(s))) for c, s in pairs]
        if self.llm is None or not logprobs_available(self.llm):
            return out
        plans = [self._texts(c, s) for c, s in pairs]
        units: dict[str, list[tuple[int, int]]] = {}  # text judged -> (pair, slot): slot -1 whole, k window k
        for i, (whole, wins) in enumerate(plans):
            if self.whole or not wins:
                units.setdefault(whole, []).append((i, -1))
            for k, w in enumerate(wins):
                units.setdefault(w, []).append((i, k))
        for sig, (_, wins) in zip(out, plans):
            sig.p_windows = [0.0] * len(wins)
            sig.read = True
        done, total = 0, sum(len(v) for v in units.values())
        for text, slots in units.items():
            for i, k in slots:
                p, dt, cached = self._p(pairs[i][0], text)
                sig = out[i]
                if k < 0:
                    sig.p_whole = p
                else:
                    sig.p_windows[k] = p
                sig.seconds += dt
                sig.cached = sig.cached and cached
                done += 1
                if progress is not None:
                    progress(done, total)
        return out
