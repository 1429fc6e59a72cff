"""The one faithfulness checker: a statement is split into atomic claims, each claim's signals are read against the
source (signals.py), and the learned calibration (calibration.py) turns them into one score in [0, 1]. The Ask tab's
badges, the summary item checks and `brief eval` all call this class, so they share one score and one threshold."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from summarizer.checking.cache import VerdictCache
from summarizer.checking.calibration import VETO_FLAGS, Calibration, shipped_calibration
from summarizer.checking.claims import split_claims
from summarizer.checking.signals import ClaimSignals, SignalReader
from summarizer.checking.windows import WindowSettings


# without the model, a statement is unsupported when one of these is raised (the negation check alone is too noisy:
# on SummEdits it fired on 22 consistent summaries for 49 inconsistent ones)


@dataclass
class Verdict:
    """The checker's judgement of one statement against one source."""

    statement: str
    supported: bool
    score: float | None  # the calibrated probability of support; None when the model gives no logprobs
    claims: list[ClaimSignals]
    threshold: float

    @property
    def flags(self) -> list[str]:
        return sorted({f for c in self.claims for f in c.exact.flags})

    @property
    def p_llm(self) -> float | None:
        """The weakest claim's best-window P(yes), for display."""
        ps = [c.p_local for c in self.claims if c.p_local is not None]
        return min(ps) if ps else None

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.claims)

    @property
    def cached(self) -> bool:
        return all(c.cached for c in self.claims)

    @property
    def closest(self) -> str:
        return next((c.exact.closest for c in self.claims if c.exact.closest), "")

    def to_dict(self) -> dict:
        return {"statement": self.statement, "supported": self.supported, "score": self.score,
                "threshold": self.threshold, "flags": self.flags, "claims": [c.to_dict() for c in self.claims]}


def statement_claims(statement: str) -> list[str]:
    """The atomic claims a statement is judged by (itself when it does not split)."""
    return split_claims(statement) or [statement.strip()]


class ClaimChecker:
    """Scores statements against sources: model signals plus exact checks, combined by the shipped calibration."""

    def __init__(self, llm, calibration: Calibration | None = None, cache: VerdictCache | str | Path | bool | None = False,
                 windows: WindowSettings | None = None) -> None:
        if cache is True or (cache is not False and cache is not None and not isinstance(cache, VerdictCache)):
            cache = VerdictCache(None if cache is True else cache)
        self.cache = cache if isinstance(cache, VerdictCache) else None
        self.calibration = cal = calibration or shipped_calibration()
        # read only what the calibration uses: a claim costs one model call per window (or one for the whole source)
        windows = replace(windows or WindowSettings(), per_claim=cal.windows_needed())
        self.reader = SignalReader(llm, self.cache, windows, whole=cal.needs_whole or not cal.windows_needed())

    @property
    def model_id(self) -> str:
        return self.reader.model_id

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    def describe(self) -> dict:
        """What a stored run records about the checker: model, prompt and calibration."""
        from summarizer.checking.signals import PROMPT_VERSION

        cal = self.calibration
        return {"model": self.model_id, "prompt_version": PROMPT_VERSION, "features": list(cal.features),
                "weights": cal.weights, "bias": cal.bias, "threshold": cal.threshold}

    def stats(self) -> dict:
        cache = self.cache
        return {"cache_hits": cache.hits if cache else 0, "cache_misses": cache.misses if cache else 0,
                "model": self.model_id}

    def verdict(self, statement: str, claims: list[ClaimSignals]) -> Verdict:
        """The verdict from already-read signals: calibrated when the model was read, else the exact checks' vetoes."""
        if all(c.read for c in claims):
            score = round(self.calibration.score(claims), 4)
            return Verdict(statement, score >= self.threshold, score, claims, self.threshold)
        vetoed = any(set(c.exact.flags) & VETO_FLAGS for c in claims)
        return Verdict(statement, not vetoed, None, claims, self.threshold)

    def check_many(self, pairs: list[tuple[str, str]],
                   progress: Callable[[int, int], None] | None = None) -> list[Verdict]:
        """Each (statement, source) pair's verdict; all claims are read in one batch, grouped by the text judged."""
        split = [statement_claims(s) for s, _ in pairs]
        flat = [(c, src) for cs, (_, src) in zip(split, pairs) for c in cs]
        signals = iter(self.reader.read(flat, progress))
        return [self.verdict(s, [next(signals) for _ in cs]) for cs, (s, _) in zip(split, pairs)]

    def check(self, statement: str, source: str) -> Verdict:
        return self.check_many([(statement, source)])[0]
