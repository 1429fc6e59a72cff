"""The faithfulness checker: claim splitting, exact checks, cache, batching, windows, tuning; and the real model
on planted unsupported claims (short hand-written sources, a few seconds each)."""
from __future__ import annotations

import re

import pytest

from eval.checker.judge import CheckerConfig, FaithfulnessChecker, VerdictCache, combine, exact_check, prompt_version
from eval.claims import split_claims
from eval.checker.summedits import balanced_accuracy, best_threshold, tune

SOURCE = (
    "Ofsted rated Darlington Borough Council's children's services inadequate in February 2019. "
    "Inspectors found that 94 assessments had not been completed within timescales. "
    "Leaders had not acted quickly enough to fix weaknesses identified in 2016. "
    "The director of children's services, Suzanne Joyner, said the council accepted the findings."
)


class FakeLLM:
    """P(yes) from a rule over the prompt; records every prompt so tests can see the call order."""

    model_id = "fake-1"

    def __init__(self, rule=None) -> None:
        self.prompts: list[str] = []
        self.rule = rule or (lambda claim, source: 0.9 if claim.split()[0].lower() in source.lower() else 0.1)

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        m = re.search(r"Source:\n(.*)\n\nClaim: (.*)\n", prompt, re.S)
        return self.rule(m.group(2), m.group(1))


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


def test_combine_penalises_flags():
    cfg = CheckerConfig()
    clean = exact_check("Inspectors found that 94 assessments were late.", SOURCE)
    bad = exact_check("Inspectors found that 49 assessments were late.", SOURCE)
    assert combine(0.9, bad, cfg) < combine(0.9, clean, cfg)
    assert combine(None, clean, CheckerConfig(use_llm=False)) > combine(None, bad, CheckerConfig(use_llm=False))


# --- the checker with a fake model ---------------------------------------------------------------------------------

def test_cache_hit_on_second_score(tmp_path):
    llm = FakeLLM()
    db = tmp_path / "c.sqlite"
    ck = FaithfulnessChecker(llm, cache=db)
    v1 = ck.score("Inspectors found 94 late assessments.", SOURCE)
    assert not v1.cached and len(llm.prompts) == 1
    v2 = ck.score("Inspectors found 94 late assessments.", SOURCE)
    assert v2.cached and len(llm.prompts) == 1 and v2.p_llm == v1.p_llm
    # persistent: a new checker (another process) reads the same file
    ck2 = FaithfulnessChecker(llm, cache=db)
    assert ck2.score("Inspectors found 94 late assessments.", SOURCE).cached and len(llm.prompts) == 1
    # another model id or prompt wording is another key
    other = FakeLLM()
    other.model_id = "fake-2"
    assert not FaithfulnessChecker(other, cache=db).score("Inspectors found 94 late assessments.", SOURCE).cached
    assert VerdictCache.key("a", "b", "m", "p1") != VerdictCache.key("a", "b", "m", "p2")
    assert prompt_version() == prompt_version()


def test_batch_groups_claims_by_source(tmp_path):
    llm = FakeLLM()
    ck = FaithfulnessChecker(llm, cache=False)
    a, b = "Source A text about Torbay.", "Source B text about Darlington."
    pairs = [("Torbay one.", a), ("Darlington one.", b), ("Torbay two.", a), ("Darlington two.", b)]
    vs = ck.score_many(pairs)
    assert [v.claim for v in vs] == [c for c, _ in pairs]  # results in input order
    sources = [re.search(r"Source:\n(.*?)\n\nClaim", p, re.S).group(1) for p in llm.prompts]
    assert sources == [a, a, b, b]  # evaluated grouped, so each source prefix is computed once


def test_long_source_scored_on_best_window():
    llm = FakeLLM(lambda claim, source: 0.95 if "Zebra" in source else 0.05)
    filler = " ".join(f"Sentence number {i} talks about budgets and meetings in the town hall." for i in range(120))
    long_source = filler + " The Zebra crossing on Main Street was repainted in May. " + filler
    ck = FaithfulnessChecker(llm, CheckerConfig(max_source_tokens=300, window_tokens=250, window_overlap_tokens=50), cache=False)
    wins = ck.windows(long_source)
    assert len(wins) > 3 and all(len(w) < len(long_source) for w in wins)
    v = ck.score("The Zebra crossing was repainted.", long_source)
    assert v.windows == len(wins) and "Zebra" in wins[v.window] and v.p_llm == 0.95
    assert len(llm.prompts) == 1  # one window scored, not the whole text, not every window


def test_exact_only_checker_needs_no_model():
    ck = FaithfulnessChecker(None, cache=False)
    assert ck.score("Inspectors found that 94 assessments were late.", SOURCE).p_llm is None
    assert not ck.score("Inspectors found that 49 assessments were late.", SOURCE).supported


# --- tuning --------------------------------------------------------------------------------------------------------

def test_balanced_accuracy_and_threshold():
    assert balanced_accuracy([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.75)
    assert balanced_accuracy([1, 1, 1, 0], [1, 1, 1, 1]) == pytest.approx(0.5)
    t, ba = best_threshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0])
    assert ba == 1.0 and 0.3 < t <= 0.8


def test_tune_learns_to_use_exact_flags():
    # the fake LLM is fooled by changed numbers; the exact check is not, so tuning should weight it
    llm = FakeLLM(lambda claim, source: 0.9)
    ck = FaithfulnessChecker(llm, cache=False)
    good = ["Inspectors found that 94 assessments were late.", "Suzanne Joyner said the council accepted the findings."]
    bad = ["Inspectors found that 49 assessments were late.", "Inspectors found that 95 assessments were late."]
    verdicts = [[v] for v in ck.score_many([(c, SOURCE) for c in good + bad])]
    cfg, ba = tune(verdicts, [1, 1, 0, 0], CheckerConfig(), use_llm=True, use_exact=True)
    assert ba == 1.0 and cfg.w_number > 0
    _, ba_llm = tune(verdicts, [1, 1, 0, 0], CheckerConfig(), use_llm=True, use_exact=False)
    assert ba_llm == 0.5


# --- the real model ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_checker(tmp_path_factory):
    try:
        from summarizer.llm.shared import shared_llm
        from summarizer.settings import Settings

        llm = shared_llm(Settings.from_env())
    except ImportError:  # pragma: no cover - the service module is optional for this test
        from summarizer.llm.local import LocalLLM
        from summarizer.settings import Settings

        llm = LocalLLM(Settings.from_env().model)
    return FaithfulnessChecker(llm, cache=tmp_path_factory.mktemp("cache") / "checker.sqlite")


PLANTED = [
    ("Inspectors found that 49 assessments had not been completed within timescales.", "number"),
    ("Jane Smith, the director of children's services, said the council accepted the findings.", "name"),
    ("Ofsted rated Darlington's children's services good in February 2019.", "judgement"),
    ("Leaders had acted quickly to fix the weaknesses found in 2016.", "negation"),
]
FAITHFUL = [
    "Darlington's children's services were judged inadequate by Ofsted.",
    "Inspectors said 94 assessments were not completed in time.",
    "Suzanne Joyner said the council accepted what the inspectors found.",
]


@pytest.mark.model
def test_real_checker_flags_planted_and_passes_paraphrases(real_checker):
    verdicts = real_checker.score_many([(c, SOURCE) for c, _ in PLANTED] + [(c, SOURCE) for c in FAITHFUL])
    planted, faithful = verdicts[: len(PLANTED)], verdicts[len(PLANTED):]
    for v, (_, kind) in zip(planted, PLANTED):
        assert not v.supported, (kind, v)
    for v in faithful:
        assert v.supported, v
    # the judge alone separates them too: every paraphrase scores above every planted error
    assert min(v.score for v in faithful) > max(v.score for v in planted)


@pytest.mark.model
def test_real_checker_judgement_flip_by_llm_alone(real_checker):
    """Without the exact checks, the LLM still prefers the true grade to the flipped one."""
    src = "In its March 2022 inspection, Ofsted rated Torbay Council's services for children inadequate overall."
    cfg = CheckerConfig(use_exact=False)
    true_v, flip_v = real_checker.score_many([("Ofsted rated Torbay's children's services inadequate.", src),
                                              ("Ofsted rated Torbay's children's services good.", src)], config=cfg)
    assert true_v.p_llm > flip_v.p_llm


@pytest.mark.model
def test_real_checker_second_call_is_cached(real_checker):
    c = "Inspectors found problems with assessments in Darlington."
    first = real_checker.score(c, SOURCE)
    calls = real_checker.llm_calls
    second = real_checker.score(c, SOURCE)
    assert second.cached and real_checker.llm_calls == calls and second.p_llm == first.p_llm


def test_checker_benchmark_pipeline_with_fake_model(tmp_path):
    """The SummEdits runner end to end on a tiny synthetic file: tuned on 'evaluation', reported on 'test'."""
    import json

    from eval.checker.summedits import format_checker_result, run_checker_benchmark

    doc1 = "The mayor of Springfield opened a new library with 40 computers on Monday. Residents welcomed it."
    doc2 = "A storm closed the harbour in Portsmouth for two days. No ships were damaged."
    rows = []
    for split, doc, good, bad in [
        ("evaluation", doc1, "The mayor opened a library with 40 computers.", "The mayor opened a library with 400 computers."),
        ("evaluation", doc2, "A storm closed the harbour for two days.", "A storm closed the harbour in Dover."),
        ("test", doc1, "Residents welcomed the new library.", "The mayor opened a library with 14 computers."),
        ("test", doc2, "No ships were damaged in the storm.", "A storm closed the harbour in Plymouth."),
    ]:
        rows.append({"id": f"{len(rows)}", "doc": doc, "summary": good, "label": 1, "edit_types": [], "split": split})
        rows.append({"id": f"{len(rows)}", "doc": doc, "summary": bad, "label": 0, "edit_types": ["entity_modification"], "split": split})
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(rows))
    llm = FakeLLM(lambda claim, source: 0.8)  # a judge that cannot tell: only the exact checks can
    r = run_checker_benchmark(FaithfulnessChecker(llm, cache=tmp_path / "c.sqlite"), path=path, out_dir=tmp_path / "run",
                              progress=False)
    assert r["n_tune"] == 4 and r["n_report"] == 4
    assert r["configurations"]["llm_only"]["balanced_accuracy"] == 0.5
    assert r["balanced_accuracy"] == 1.0 and r["configurations"]["exact_only"]["balanced_accuracy"] == 1.0
    assert r["by_edit_type"]["entity_modification [label 0]"]["combined"] == 1.0
    assert r["cost"]["claims"] == 8 and r["cost"]["documents"] == 2
    assert (tmp_path / "run" / "checker_result.json").is_file() and (tmp_path / "run" / "calibration.png").is_file()
    assert "balanced acc" in format_checker_result(r)
    # threshold-only protocols: the shipped rule (flags veto) separates every pair under all three; the judge alone can't
    tp = r["threshold_protocols"]
    assert tp["shipped_rule"]["leave_one_document_out"]["balanced_accuracy"] == 1.0
    assert tp["shipped_rule"]["test->evaluation"]["balanced_accuracy"] == 1.0
    assert tp["llm_only"]["leave_one_document_out"]["balanced_accuracy"] == 0.5
    assert tp["llm_only"]["leave_one_document_out"]["folds"] == 2
    assert "leave-one-document-out" in format_checker_result(r)
    # sorted by document: each document's prompts are contiguous
    docs = [doc1 if "Springfield" in p else doc2 for p in llm.prompts]
    assert sum(1 for a, b in zip(docs, docs[1:]) if a != b) <= 3


def test_local_judge_experiment_analysis(tmp_path):
    """The experiment's analysis scores each judge on the same pairs: a judge that separates the labels gets AUC 1."""
    import json

    from eval.checker.exp_local_judge import analyse

    full = tmp_path / "checker_verdicts.jsonl"
    local = tmp_path / "local.jsonl"
    rows = [("a", 1, 0.9, 0.9, []), ("b", 0, 0.8, 0.1, []), ("c", 1, 0.4, 0.8, []), ("d", 0, 0.7, 0.3, ["number"])]
    full.write_text("".join(json.dumps({"id": i, "verdicts": [{"p_llm": pf, "flags": fl}]}) + "\n"
                            for i, _, pf, _, fl in rows))
    local.write_text("".join(json.dumps({"id": i, "doc": "D", "label": y, "p_local": [pl]}) + "\n"
                             for i, y, _, pl, _ in rows))
    r = analyse(full, [local])
    assert r["pairs"] == 4 and r["closest sentences"]["auc"] == 1.0 and r["closest sentences"]["t=0.5"] == 1.0
    assert r["whole source"]["auc"] == 0.5 and r["whole source"]["t=0.5"] == 0.25
    assert r["whole source"]["t=0.5+vetoes"] == 0.5  # the number flag vetoes d
