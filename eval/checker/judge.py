"""The faithfulness checker: is a claim supported by a source text?

Two signals, combined:
- the local LLM's probability of "yes" to "is every part of the claim supported by the source?", read from its
  next-token logits (summarizer.answer.prompts.support_prompt; the source comes first and the claim last, so claims about
  the same source reuse the KV cache of the source and cost only their own few tokens);
- exact checks that a 1.5B model misses: a number, date, or name in the claim that the source lacks; a negation
  that the closest source sentence does not share; a word whose antonym stands where the source has it
  (an Ofsted grade swapped for another: "rated good" against "rated inadequate").

The combination is a logistic score, logit(p_llm) minus a weight per exact flag plus a weight on content-word
coverage, compared with a threshold; eval/summedits.py measures it against SummEdits human labels and explains the
defaults in CheckerConfig (see BENCHMARKS.md). LLM verdicts are cached in SQLite by sha256(claim, source, model,
prompt wording), so reruns are cheap (cache.py).
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

from retrieval.sentences import split_sentences
from summarizer.answer import prompts
from summarizer.llm.interface import logprobs_available
from summarizer.support import (ANTONYMS, SourceFacts, SupportCheck, antonym_index, check_claim,  # noqa: F401
                                 closest_sentence, content_terms, dates, name_in, names, number_in, numbers)

from eval.checker.cache import VerdictCache, default_cache_path  # noqa: F401 - part of this module's API

# The exact part of the checker is summarizer.support's one check; its result type under the checker's name.
ExactCheck = SupportCheck


class YesNoModel(Protocol):
    """What the checker needs from the LLM (summarizer.llm.local.LocalLLM, or a fake in tests)."""

    model_id: str

    def yes_probability(self, prompt: str) -> float: ...


# --- exact checks -----------------------------------------------------------------------------------------------

def _sentences(text: str) -> list[str]:
    return SourceFacts(text).sentences


def exact_check(claim: str, source: str | SourceFacts) -> ExactCheck:
    """Numbers, dates, names absent from the source; negation and antonym flips against the closest sentence."""
    chk = check_claim(claim, source, check_grades=False, check_dates=True, check_contradictions=True)
    chk.coverage = round(chk.coverage, 4)
    return chk


# --- the combination ----------------------------------------------------------------------------------------------

@dataclass
class CheckerConfig:
    """Windowing of long sources, and how the LLM and the exact checks combine (tuned on SummEdits 'evaluation')."""

    max_source_tokens: int = 1500  # longer sources are scored on their best-matching windows
    window_tokens: int = 1200
    window_overlap_tokens: int = 300
    windows_scored: int = 1  # how many best-matching windows each claim is scored against (max p is kept)
    # logistic combination: z = logit(p_llm) - sum(w_flag) + w_coverage * (coverage - 1).
    # Defaults (see BENCHMARKS.md, "Faithfulness checker"): w_negation is the grid optimum on the SummEdits
    # 'evaluation' split; there the number, date, name and antonym flags fired only on inconsistent summaries
    # (14 of 14), so they act as vetoes (weight 3 in logit units). The threshold is the untuned 0.5 (the model
    # finds "yes" likelier than "no", and no flag): the threshold tuned on the 'evaluation' split (0.852) did not
    # transfer to other documents (57.6 balanced accuracy on 'test' against 72.4 for 0.5), because the judge's
    # P(yes) level differs from document to document.
    w_number: float = 3.0
    w_date: float = 3.0
    w_name: float = 3.0
    w_negation: float = 0.5
    w_antonym: float = 3.0
    w_coverage: float = 0.0
    # source-specific calibration of the LLM: subtract w_ref * logit(P(yes)) of a reference claim scored against the
    # same source: "closest" = the source sentence closest to the claim (verbatim, so surely supported), "null" = a
    # content-free claim ("N/A"), "none" = no reference. The judge's P(yes) level varies a lot between documents;
    # the reference measures that level on the same source.
    reference: str = "none"
    w_ref: float = 1.0
    threshold: float = 0.5  # on sigmoid(z)
    use_llm: bool = True
    use_exact: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


NULL_CLAIM = "N/A"


def combine(p_llm: float | None, ex: ExactCheck, cfg: CheckerConfig, refs: dict[str, float] | None = None) -> float:
    """The combined support score in [0, 1]."""
    z = logit(p_llm) if (cfg.use_llm and p_llm is not None) else 0.0
    if cfg.use_llm and p_llm is not None and cfg.reference != "none" and refs and cfg.reference in refs:
        z -= cfg.w_ref * logit(refs[cfg.reference])
    if cfg.use_exact:
        z -= cfg.w_number * bool(ex.missing_numbers) + cfg.w_date * bool(ex.missing_dates)
        z -= cfg.w_name * bool(ex.missing_names) + cfg.w_negation * ex.negation_flip + cfg.w_antonym * bool(ex.antonym_flip)
        z += cfg.w_coverage * (ex.coverage - 1)
    return sigmoid(z)


@dataclass
class Verdict:
    """The checker's judgement of one claim against one source."""

    claim: str
    p_llm: float | None  # P(yes) from the LLM; None when the LLM was not used
    exact: ExactCheck
    score: float  # combined
    supported: bool
    window: int = 0  # which window of a long source was scored (0 when the source fit)
    windows: int = 1
    cached: bool = False
    seconds: float = 0.0  # LLM time this claim cost when it was computed (also reported for cached verdicts)
    p_ref: dict[str, float] = field(default_factory=dict)  # P(yes) of the reference claims (see CheckerConfig.reference)

    @property
    def flags(self) -> list[str]:
        return self.exact.flags

    def to_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = self.flags
        return d


def passages_support_prompt(claim: str, block: str) -> str:
    """Yes/no over numbered passages, worded so its prefix (system + passages) is token for token the prefix of the
    answer prompt (summarizer.answer.prompts.answer_prompt): checking an answer right after generating it reuses the KV cache
    of the passages instead of evaluating them again. `block` is summarizer.answer.prompts.passages_block(...)."""
    return prompts._chat(
        f"Passages:\n{block}\n\nClaim: {claim.strip()}\n"
        "Is every part of the claim supported by the passages? Answer yes or no."
    )


def prompt_version(prompt_fn: Callable[[str, str], str] = prompts.support_prompt) -> str:
    """A fingerprint of the support prompt's wording: editing the prompt invalidates cached verdicts."""
    return hashlib.sha256(prompt_fn("{claim}", "{source}").encode("utf-8")).hexdigest()[:16]


# --- the checker --------------------------------------------------------------------------------------------------

@dataclass
class _Job:
    i: int
    claim: str
    source: str
    scored: list[str]  # the text(s) the LLM scores the claim against: the source, or its best windows
    window_ids: list[int]
    n_windows: int


class FaithfulnessChecker:
    """Scores claims against sources with the local LLM plus exact checks; verdicts cached across runs."""

    def __init__(self, llm: YesNoModel | None, config: CheckerConfig | None = None,
                 cache: VerdictCache | str | Path | None | bool = None,
                 prompt_fn: Callable[[str, str], str] = prompts.support_prompt) -> None:
        self.llm = llm
        self.config = config or CheckerConfig()
        if llm is None:  # exact checks only: supported when no flag is raised
            self.config = replace(self.config, use_llm=False, threshold=0.5)
        if cache is False:
            self.cache = None
        elif isinstance(cache, VerdictCache):
            self.cache = cache
        else:
            self.cache = VerdictCache(cache)
        self.prompt_fn = prompt_fn
        self.prompt_version = prompt_version(prompt_fn)
        self._windows: dict[str, list[str]] = {}
        self._facts: dict[str, SourceFacts] = {}
        self.llm_seconds = 0.0
        self.llm_calls = 0

    @property
    def model_id(self) -> str:
        return getattr(self.llm, "model_id", "none") if self.llm is not None else "none"

    # windows of long sources
    def _count_tokens(self, text: str) -> int:
        counter = getattr(self.llm, "count_tokens", None)
        return counter(text) if counter is not None else max(1, len(text) // 4)

    def windows(self, source: str) -> list[str]:
        """The source itself when it fits max_source_tokens, else overlapping windows of whole sentences."""
        if source in self._windows:
            return self._windows[source]
        cfg = self.config
        if len(source) <= cfg.max_source_tokens * 2 or self._count_tokens(source) <= cfg.max_source_tokens:
            out = [source]
        else:
            spans = split_sentences(source)
            sizes = [self._count_tokens(source[s:e]) + 1 for s, e in spans]
            out, start = [], 0
            while start < len(spans):
                end, tot = start, 0
                while end < len(spans) and (tot + sizes[end] <= cfg.window_tokens or end == start):
                    tot += sizes[end]
                    end += 1
                out.append(source[spans[start][0]:spans[end - 1][1]])
                if end >= len(spans):
                    break
                # step back so consecutive windows overlap by about window_overlap_tokens
                back, nxt = 0, end
                while nxt - 1 > start + 1 and back + sizes[nxt - 1] <= cfg.window_overlap_tokens:
                    nxt -= 1
                    back += sizes[nxt]
                start = nxt
        self._windows[source] = out
        return out

    def facts(self, source: str) -> SourceFacts:
        sf = self._facts.get(source)
        if sf is None:
            if len(self._facts) > 256:
                self._facts.clear()
            sf = self._facts[source] = SourceFacts(source)
        return sf

    def _best_windows(self, claim: str, wins: list[str]) -> list[int]:
        if len(wins) == 1:
            return [0]
        ct = content_terms(claim)
        nums = numbers(claim)
        nms = names(claim)

        def overlap(w: str) -> float:
            wt = content_terms(w)
            s = len(ct & wt) / (len(ct) or 1)
            s += 0.5 * sum(number_in(n, w) for n in nums) + 0.5 * sum(name_in(n, w) for n in nms)
            return s

        ranked = sorted(range(len(wins)), key=lambda j: -overlap(wins[j]))
        return ranked[: max(1, self.config.windows_scored)]

    def _job(self, i: int, claim: str, source: str) -> _Job:
        wins = self.windows(source)
        ids = self._best_windows(claim, wins)
        return _Job(i, claim, source, [wins[j] for j in ids], ids, len(wins))

    def _p_llm(self, claim: str, scored: str, prompt_fn=None, version: str | None = None) -> tuple[float, bool, float]:
        prompt_fn = prompt_fn or self.prompt_fn
        version = version or self.prompt_version
        key = VerdictCache.key(claim, scored, self.model_id, version)
        if self.cache is not None:
            got = self.cache.get(key)
            if got is not None:
                return got[0], True, got[1]
        t0 = time.perf_counter()
        p = float(self.llm.yes_probability(prompt_fn(claim, scored)))
        dt = time.perf_counter() - t0
        self.llm_seconds += dt
        self.llm_calls += 1
        if self.cache is not None:
            self.cache.put(key, p, self.model_id, version, dt)
        return p, False, dt

    def _finish(self, job: _Job, results: list[tuple[float, bool, float]] | None, cfg: CheckerConfig,
                refs: list[dict[str, float]] | None = None) -> Verdict:
        ex = exact_check(job.claim, self.facts(job.source))
        p, cached, secs, win, ref = None, True, 0.0, job.window_ids[0], {}
        if results:
            best = max(range(len(results)), key=lambda j: results[j][0])
            p = results[best][0]
            win = job.window_ids[best]
            cached = all(r[1] for r in results)
            secs = sum(r[2] for r in results)
            ref = refs[best] if refs else {}
        score = combine(p, ex, cfg, ref)
        return Verdict(job.claim, p, ex, round(score, 6), score >= cfg.threshold, win, job.n_windows,
                       cached and p is not None, secs, ref)

    def reference_claim(self, kind: str, claim: str, scored: str) -> str:
        """The reference claim of a kind for a claim against a scored text (see CheckerConfig.reference)."""
        if kind == "closest":
            sf = self.facts(scored)
            i, _ = closest_sentence(claim, sf.sentences, sf.sent_terms)
            if i >= 0:
                return sf.sentences[i].strip()
        return NULL_CLAIM

    def score(self, claim: str, source: str) -> Verdict:
        """One claim against one source."""
        return self.score_many([(claim, source)])[0]

    def score_many(self, pairs: list[tuple[str, str]], progress: Callable[[int, int], None] | None = None,
                   config: CheckerConfig | None = None,
                   prompt_fn: Callable[[str, str], str] | None = None,
                   references: tuple[str, ...] | None = None) -> list[Verdict]:
        """Many (claim, source) pairs, evaluated grouped by the text scored so each source prefix is computed once.

        prompt_fn overrides the support prompt for this call (e.g. passages_support_prompt); its wording is part of
        the cache key. references: the reference kinds to compute (default: the one the config uses, if any)."""
        cfg = config or self.config
        version = prompt_version(prompt_fn) if prompt_fn else None
        if references is None:
            references = (cfg.reference,) if cfg.reference != "none" else ()
        jobs = [self._job(i, c, s) for i, (c, s) in enumerate(pairs)]
        use_llm = cfg.use_llm and self.llm is not None and logprobs_available(self.llm)  # else exact checks only
        llm_results: dict[tuple[int, int, str], tuple[float, bool, float]] = {}
        if use_llm:
            # a unit is (job, window, claim kind); kind "" is the claim itself, else a reference claim
            units = [(j, k, kind) for j in jobs for k in range(len(j.scored)) for kind in ("", *references)]
            # group by scored text, in first-appearance order, so claims about one source reuse its KV cache
            order: dict[str, int] = {}
            for j, k, _ in units:
                order.setdefault(j.scored[k], len(order))
            units.sort(key=lambda u: order[u[0].scored[u[1]]])
            memo: dict[tuple[str, str], tuple[float, bool, float]] = {}
            for n, (j, k, kind) in enumerate(units, 1):
                text = j.claim if not kind else self.reference_claim(kind, j.claim, j.scored[k])
                got = memo.get((text, j.scored[k]))
                if got is None:
                    got = memo[(text, j.scored[k])] = self._p_llm(text, j.scored[k], prompt_fn, version)
                else:  # computed earlier in this call: costs nothing more
                    got = (got[0], True, 0.0)
                llm_results[(j.i, k, kind)] = got
                if progress:
                    progress(n, len(units))
        out = []
        for j in jobs:
            res = refs = None
            if use_llm:
                # a claim's cost includes the reference claims it was first to need
                res = [(*llm_results[(j.i, k, "")][:2],
                        llm_results[(j.i, k, "")][2] + sum(llm_results[(j.i, k, kind)][2] for kind in references))
                       for k in range(len(j.scored))]
                refs = [{kind: llm_results[(j.i, k, kind)][0] for kind in references} for k in range(len(j.scored))]
            out.append(self._finish(j, res, cfg, refs))
        return out

    def rescore(self, verdict: Verdict, config: CheckerConfig) -> Verdict:
        """The same verdict under other combination weights (no model call)."""
        cfg = config
        score = combine(verdict.p_llm, verdict.exact, cfg, verdict.p_ref)
        return replace(verdict, score=round(score, 6), supported=score >= cfg.threshold)

    def stats(self) -> dict:
        return {"llm_calls": self.llm_calls, "llm_seconds": round(self.llm_seconds, 2),
                "cache_hits": self.cache.hits if self.cache else 0, "cache_misses": self.cache.misses if self.cache else 0,
                "model": self.model_id, "prompt_version": self.prompt_version}
