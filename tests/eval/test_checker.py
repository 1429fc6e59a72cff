"""The faithfulness checker (summarizer.checking): claim splitting, exact checks, windows, grouped and cached model
calls, the learned calibration and its held-out protocols; and the real model on planted unsupported claims (short
hand-written sources, a few seconds each)."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from eval.checker.protocols import balanced_accuracy, held_out_scores
from summarizer.checking.cache import VerdictCache
from summarizer.checking.calibration import (FEATURES, Calibration, feature_matrix, fit_logistic,
                                             shipped_calibration)
from summarizer.checking.checker import ClaimChecker
from summarizer.checking.claims import split_claims
from summarizer.checking.signals import SignalReader, exact_check
from summarizer.checking.windows import WindowSettings, local_windows, stretches
from summarizer.support import SourceFacts

SOURCE = (
    "Ofsted rated Darlington Borough Council's children's services inadequate in February 2019. "
    "Inspectors found that 94 assessments had not been completed within timescales. "
    "Leaders had not acted quickly enough to fix weaknesses identified in 2016. "
    "The director of children's services, Suzanne Joyner, said the council accepted the findings."
)
_PROMPT = re.compile(r"Source:\n(.*)\n\nIs every part.*?\nClaim: (.*)<\|im_end\|>", re.S)


class FakeLLM:
    """P(yes) from a rule over (claim, source); records every prompt so tests can see the call order."""

    model_id = "fake-1"

    def __init__(self, rule=None) -> None:
        self.prompts: list[str] = []
        self.rule = rule or (lambda claim, source: 0.9 if claim.split()[0].lower() in source.lower() else 0.1)

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        m = _PROMPT.search(prompt)
        return self.rule(m.group(2), m.group(1))

    def judged(self) -> list[str]:
        return [_PROMPT.search(p).group(1) for p in self.prompts]


# --- claims -------------------------------------------------------------------------------------------------------

def test_split_claims_sentences_and_clauses():
    text = ("Ofsted rated Darlington inadequate in 2019 and said leaders had failed to act [1]. "
            "Torbay and Darlington were rated good [2]. Inspectors found 94 assessments late; the council has recruited 20 staff.")
    assert split_claims(text) == [
        "Ofsted rated Darlington inadequate in 2019.",
        "Ofsted said leaders had failed to act.",
        "Torbay and Darlington were rated good.",
        "Inspectors found 94 assessments late.",
        "The council has recruited 20 staff.",
    ]


def test_split_claims_keeps_noun_lists_whole():
    assert split_claims("Bread and butter are sold at the market.") == ["Bread and butter are sold at the market."]
    assert split_claims("The council improved, but services remain fragile.") == ["The council improved.", "Services remain fragile."]


# --- exact checks ---------------------------------------------------------------------------------------------------

def test_exact_checks_catch_planted_errors():
    assert exact_check("Inspectors found that 49 assessments were late.", SOURCE).missing_numbers == ["49"]
    assert exact_check("Jane Smith, the director, resigned.", SOURCE).missing_names == ["Jane Smith"]
    assert exact_check("Darlington was rated inadequate in March 2019.", SOURCE).missing_dates == ["march"]
    assert exact_check("Leaders had acted quickly enough to fix weaknesses.", SOURCE).negation_flip
    assert exact_check("Ofsted rated Darlington's children's services good.", SOURCE).antonym_flip
    ok = exact_check("Ofsted judged Darlington's children's services inadequate in 2019.", SOURCE)
    assert ok.flags == [] and ok.coverage >= 0.8


# --- windows ---------------------------------------------------------------------------------------------------------

def test_local_windows_centre_on_the_closest_sentences():
    facts = SourceFacts(SOURCE + " The council has since recruited 20 social workers. A new director starts in May.")
    wins = local_windows("Suzanne Joyner said the council accepted the findings.", facts, WindowSettings())
    assert len(wins) == 2 and "Suzanne Joyner" in wins[0]
    assert wins[0].count(".") == 3  # its sentence and one each side
    assert local_windows("Anything.", SourceFacts(SOURCE.split(". ")[0] + "."), WindowSettings()) == []


def test_long_source_is_cut_into_stretches():
    filler = " ".join(f"Sentence number {i} talks about budgets and meetings in the town hall." for i in range(120))
    long_source = filler + " The Zebra crossing on Main Street was repainted in May. " + filler
    parts = stretches(long_source, lambda t: len(t) // 4, WindowSettings(max_source_tokens=300, stretch_tokens=250,
                                                                          stretch_overlap_tokens=50))
    assert len(parts) > 3 and all(len(p) < len(long_source) for p in parts)
    llm = FakeLLM(lambda claim, source: 0.95 if "Zebra" in source else 0.05)
    reader = SignalReader(llm, windows=WindowSettings(max_source_tokens=300, stretch_tokens=250, stretch_overlap_tokens=50))
    (sig,) = reader.read([("The Zebra crossing was repainted.", long_source)])
    assert sig.p_whole == 0.95 and all("Zebra" in t or len(t) < 1000 for t in llm.judged())
    assert max(len(t) for t in llm.judged()) < len(long_source)  # never the whole text


# --- reading signals with a fake model -------------------------------------------------------------------------------

def test_signals_grouped_by_text_judged_and_cached(tmp_path):
    llm = FakeLLM()
    db = VerdictCache(tmp_path / "c.sqlite")
    reader = SignalReader(llm, db)
    a = "Torbay was rated inadequate. Its leaders lost focus. Staff left. The council said it would improve."
    b = "Darlington was rated good. Its leaders were praised. Staff stayed. The council welcomed the report."
    pairs = [("Torbay leaders lost focus.", a), ("Darlington leaders were praised.", b), ("Torbay staff left.", a)]
    sigs = reader.read(pairs)
    assert [s.claim for s in sigs] == [c for c, _ in pairs]  # results in input order
    judged = llm.judged()
    changes = sum(1 for x, y in zip(judged, judged[1:]) if x != y)
    assert changes == len(set(judged)) - 1  # each text's claims are read together: its prefix is computed once
    assert all(s.p_whole is not None and len(s.p_windows) == 2 and not s.cached for s in sigs)
    n = len(llm.prompts)
    again = SignalReader(llm, VerdictCache(tmp_path / "c.sqlite")).read(pairs)  # another process, same file
    assert len(llm.prompts) == n and all(s.cached for s in again)
    assert [s.p_windows for s in again] == [s.p_windows for s in sigs]
    other = FakeLLM()
    other.model_id = "fake-2"
    SignalReader(other, db).read(pairs[:1])
    assert other.prompts  # another model is another key


def test_checker_without_a_model_uses_the_exact_checks():
    ck = ClaimChecker(None)
    ok = ck.check("Inspectors found that 94 assessments were late.", SOURCE)
    bad = ck.check("Inspectors found that 49 assessments were late.", SOURCE)
    assert ok.score is None and ok.supported and not bad.supported and "number" in bad.flags


def test_statement_is_as_good_as_its_weakest_claim():
    llm = FakeLLM(lambda claim, source: 0.05 if "Leeds" in claim else 0.95)
    ck = ClaimChecker(llm)
    good = ck.check("Ofsted rated Darlington inadequate and inspectors found 94 assessments late.", SOURCE)
    mixed = ck.check("Ofsted rated Darlington inadequate and Leeds found 94 assessments late.", SOURCE)
    assert len(good.claims) == len(mixed.claims) == 2
    assert good.score > mixed.score and good.supported and not mixed.supported


# --- the calibration -------------------------------------------------------------------------------------------------

def test_fit_separates_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    y = np.array([1] * 60 + [0] * 20)
    x = np.column_stack([np.where(y == 1, 2.0, -2.0) + rng.normal(0, 1, 80), rng.normal(0, 1, 80)])
    cal = fit_logistic(x, y, ("a", "b"))
    preds = cal.score_matrix(x) >= cal.threshold
    assert balanced_accuracy(y, preds) > 0.9 and cal.weights[0] > abs(cal.weights[1])
    assert cal.signs_hold() is True  # "a" and "b" are not features with a direction
    wrong = Calibration(("local", "coverage"), [0, 0], [1, 1], [1.0, -0.5], 0.0)
    assert not wrong.signs_hold()  # more of the claim's words in the source must not lower the score
    cal.save(tmp_path / "w.json")
    again = Calibration.load(tmp_path / "w.json")
    assert np.allclose(again.score_matrix(x), cal.score_matrix(x))


def test_shipped_weights_load_and_the_threshold_is_shared():
    cal = shipped_calibration()
    assert set(cal.features) <= set(FEATURES) and cal.about["feature_set"] in cal.about["candidates"]
    assert len(cal.weights) == len(cal.features) and 0 < cal.threshold < 1
    assert cal.about["data"].startswith("SummEdits") and "leave_one_document_out" in cal.about["held_out_figures"]
    # the answer path and eval use the same object: a checker's verdict is supported exactly at the shipped threshold
    llm = FakeLLM(lambda claim, source: 0.5)
    v = ClaimChecker(llm).check("Inspectors found 94 assessments late.", SOURCE)
    assert ClaimChecker(llm).threshold == cal.threshold and v.supported == (v.score >= cal.threshold)
    assert v.score == pytest.approx(cal.score(v.claims), abs=1e-4)


def test_a_documents_held_out_scores_never_see_its_labels():
    rng = np.random.default_rng(1)
    docs = np.repeat(np.arange(6), 30)
    y = rng.integers(0, 2, len(docs))
    x = np.column_stack([y + rng.normal(0, 0.8, len(docs)), rng.normal(0, 1, len(docs))])
    base = held_out_scores(x, y, docs, ("a", "b"))
    y2 = y.copy()
    held = docs == 3
    y2[held] = rng.permutation(1 - y[held])  # document 3's labels shuffled and flipped
    moved = held_out_scores(x, y2, docs, ("a", "b"))
    assert np.array_equal(base[held], moved[held])  # its own scores do not move
    assert not np.allclose(base[~held], moved[~held])  # the others' do: the test can tell


def test_checker_benchmark_pipeline_with_fake_model(tmp_path):
    """The SummEdits runner end to end on a tiny synthetic file: every protocol, the weights file, the stored run."""
    from eval.checker.summedits import FEATURE_SETS, format_checker_result, run_checker_benchmark

    rows = []
    for d in range(4):
        doc = (f"The mayor of Town{d} opened a new library with {40 + d} computers on Monday. Residents welcomed it. "
               f"A storm closed the harbour for two days. No ships were damaged.")
        split = "evaluation" if d < 2 else "test"
        for good, bad in [(f"The mayor opened a library with {40 + d} computers.", f"The mayor opened a library with {90 + d} computers."),
                          ("No ships were damaged in the storm.", "A storm closed the harbour in Dover.")]:
            rows.append({"id": f"{len(rows)}", "doc": doc, "summary": good, "label": 1, "edit_types": [], "split": split})
            rows.append({"id": f"{len(rows)}", "doc": doc, "summary": bad, "label": 0,
                         "edit_types": ["entity_modification"], "split": split})
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(rows))
    weights = tmp_path / "weights.json"
    checker = ClaimChecker(FakeLLM(lambda claim, source: 0.8), cache=tmp_path / "c.sqlite")  # a judge that cannot tell
    r = run_checker_benchmark(checker, path=path, out_dir=tmp_path / "run", progress=False, fit_weights=weights)
    sets = r["feature_sets"]
    assert sets["judge: whole source"]["leave_one_document_out"]["balanced_accuracy"] == 0.5
    assert r["balanced_accuracy"] == 1.0 and sets["exact checks only"]["leave_one_document_out"]["folds"] == 4
    assert r["evaluation->test"] == 1.0 and r["test->evaluation"] == 1.0
    assert r["by_edit_type"]["entity_modification [label 0]"]["accuracy"] == 1.0
    assert r["cost"]["claims"] == 16 and r["fitted"]["feature_set"] == "exact checks only"  # the judge cannot tell
    assert Calibration.load(weights).features == FEATURE_SETS["exact checks only"]
    assert (tmp_path / "run" / "checker_result.json").is_file() and (tmp_path / "run" / "calibration.png").is_file()
    assert "leave-one-doc-out" in format_checker_result(r)


# --- the real model ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_checker(tmp_path_factory):
    from summarizer.llm.shared import shared_llm
    from summarizer.settings import Settings

    return ClaimChecker(shared_llm(Settings.from_env()), cache=tmp_path_factory.mktemp("cache") / "checker.sqlite")


PLANTED = [
    ("Inspectors found that 49 assessments had not been completed within timescales.", "number"),
    ("Jane Smith, the director of children's services, said the council accepted the findings.", "name"),
    ("Ofsted rated Darlington's children's services good in February 2019.", "judgement"),
]
NEGATED = "Leaders had acted quickly to fix the weaknesses found in 2016."
FAITHFUL = [
    "Darlington's children's services were judged inadequate by Ofsted.",
    "Inspectors said 94 assessments were not completed in time.",
    "Suzanne Joyner said the council accepted what the inspectors found.",
]


@pytest.mark.model
def test_real_checker_flags_planted_and_passes_paraphrases(real_checker):
    verdicts = real_checker.check_many([(c, SOURCE) for c, _ in PLANTED] + [(c, SOURCE) for c in FAITHFUL])
    planted, faithful = verdicts[: len(PLANTED)], verdicts[len(PLANTED):]
    for v, (_, kind) in zip(planted, PLANTED):
        assert not v.supported, (kind, v.to_dict())
    for v in faithful:
        assert v.supported, v.to_dict()
    assert min(v.score for v in faithful) > max(v.score for v in planted)


@pytest.mark.model
@pytest.mark.xfail(strict=True, reason="known miss (issue 13 open): the shipped checker scores this negation 0.52, just "
                   "above its 0.50 threshold; the negation flag is not among its learned features")
def test_real_checker_flags_a_removed_negation(real_checker):
    assert not real_checker.check(NEGATED, SOURCE).supported


@pytest.mark.model
def test_real_checker_judgement_flip_by_the_model_alone(real_checker):
    """Without the exact checks, the model still prefers the true grade to the flipped one."""
    src = "In its March 2022 inspection, Ofsted rated Torbay Council's services for children inadequate overall."
    true_v, flip_v = real_checker.check_many([("Ofsted rated Torbay's children's services inadequate.", src),
                                              ("Ofsted rated Torbay's children's services good.", src)])
    assert true_v.claims[0].p_whole > flip_v.claims[0].p_whole


@pytest.mark.model
def test_real_checker_second_call_is_cached(real_checker):
    c = "Inspectors found problems with assessments in Darlington."
    first = real_checker.check(c, SOURCE)
    second = real_checker.check(c, SOURCE)
    assert second.cached and second.score == first.score
