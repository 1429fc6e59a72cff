"""The distilled sentence labeller (summarizer/summaries/distilled.py): fitting on soft labels, its file, and the
deep reading of a report's sections without model calls (findings.add_findings with a DeepRead)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from summarizer.summaries.distilled import (LABELLER_FILE, DistilledLabeller, fit_labeller, remembering,
                                            shipped_labeller)
from summarizer.summaries.evidence import doc_text
from summarizer.summaries.findings import LABELS, DeepRead, FindingRule, add_findings
from summarizer.summaries.schema import CouncilEntry
from summarizer.summaries.selection import diverse_pick

from tests.conftest import OFSTED, need_shared
from tests.summarizer.test_findings import TEXT, FakeLabels

CUES = ("do not", "well supported", "will", "took place")  # one cue per label, in LABELS order


def cue_encode(texts: list[str]) -> np.ndarray:
    """A fake embedding: one dimension per cue, plus a constant."""
    return np.array([[1.0 if c in t else 0.0 for c in CUES] + [1.0] for t in texts])


def test_fit_recovers_soft_labels_and_the_file_round_trips(tmp_path):
    x = cue_encode(["x do not", "x well supported", "x will", "x took place"] * 10)
    y = np.tile(np.eye(4) * 0.85 + 0.05, (10, 1))
    lab = fit_labeller(x, y, LABELS, steps=3000, lr=1.0)
    probs = lab.probabilities(cue_encode(["a do not b", "c will d"]))
    assert max(probs[0], key=probs[0].get) == "weakness" and max(probs[1], key=probs[1].get) == "action"
    path = tmp_path / "labeller.json"
    lab.save(path)
    back = DistilledLabeller.load(path)
    assert back.labels == LABELS and np.allclose(back.weights, lab.weights, atol=1e-5)
    assert lab.probabilities(np.zeros((0, 5))) == []


def test_deep_sentences_are_labelled_without_model_calls_in_document_order():
    """The model labels the opening span; the rest of the section is labelled by the distilled labeller."""
    lab = DistilledLabeller(LABELS, np.vstack([np.eye(4) * 6, np.zeros((1, 4))]), np.array([0, 0, 0, 1.0]))
    dt = doc_text(TEXT)
    first = dt.allowed[0][0], TEXT.index("Care leavers")
    entry, model = CouncilEntry(council="Northshire"), FakeLabels()
    calls = add_findings(entry, dt, [first], model, FindingRule(), deep=DeepRead(dt.allowed, lab, cue_encode))
    assert calls == 1 and len(model.prompts) == 1  # only the opening sentence went to the model
    assert [i.text for i in entry.weaknesses] == ["Managers do not check the quality of plans often enough, "
                                                  "inspectors said."]
    assert [i.text for i in entry.strengths] == ["Care leavers are well supported by committed personal advisers."]
    assert [i.text for i in entry.actions] == ["The council will recruit 20 permanent social workers by March."]


def test_the_shipped_labeller_says_how_it_was_made():
    lab = shipped_labeller()
    assert LABELLER_FILE.is_file() and lab is not None
    assert lab.labels == LABELS and lab.weights.shape == (384, len(LABELS))
    made = lab.provenance
    assert made["embedder"] and made["gold_councils_excluded"] is True and made["sentences"] >= 500


def test_diverse_pick_takes_the_central_row_then_the_most_novel():
    vecs = np.array([[1.0, 0.0], [0.96, 0.28], [0.6, 0.8], [0.0, 1.0]])
    assert diverse_pick(vecs, np.zeros((0, 2)), 2, 0.5) == [2, 0]  # the most central, then the least like it
    assert diverse_pick(vecs, vecs[[3]], 1, 0.5) == [0]  # a taken row counts as picked
    assert diverse_pick(vecs, np.zeros((0, 2)), 9, 0.5) == [0, 1, 2, 3] and diverse_pick(vecs, vecs, 0, 0.5) == []


def test_deep_findings_stop_at_the_limit_per_kind_counting_the_model_ones():
    """Past the limit, the labeller's findings of a kind are left out; the model's are all kept."""
    lab = DistilledLabeller(LABELS, np.vstack([np.eye(4) * 6, np.zeros((1, 4))]), np.array([0, 0, 0, 1.0]))
    weak = ["Managers do not review the plans children need on time.",
            "Social workers do not visit vulnerable teenagers often enough.",
            "Leaders do not understand the quality of frontline practice.",
            "Partner agencies do not share information about risk quickly."]
    dt = doc_text("Inspection of Northshire.\n\n" + " ".join(weak) + "\n")
    entry, model = CouncilEntry(council="Northshire"), FakeLabels()
    first = dt.text.index(weak[0]), dt.text.index(weak[1])
    add_findings(entry, dt, [first], model, FindingRule(), deep=DeepRead(dt.allowed, lab, cue_encode, limit=2))
    assert len(model.prompts) == 1 and len(entry.weaknesses) == 2
    assert entry.weaknesses[0].text == weak[0]  # the model's finding, first in document order


@pytest.mark.model
def test_real_model_reads_a_whole_report_against_its_findings_gold(service):
    """Tameside 2024, with the real model and embedder, against the findings gold written from the report: most of
    its findings, some of them found past the openings the model reads, every one a whole sentence of the report."""
    from eval.findings_eval import FINDINGS_GOLD, cut_off, matches
    from eval.summaries_eval import load_reports
    from summarizer.llm.backends import LlamaBackend
    from summarizer.llm.shared import shared_llm
    from summarizer.settings import Settings
    from summarizer.summaries.report_parts import finding_spans
    from summarizer.summaries.summarizer import Summarizer

    need_shared(OFSTED / "reports.jsonl")
    rid = "80569_tameside_2024-02-13"
    doc = load_reports({rid})[rid]
    rec = Summarizer(LlamaBackend(shared_llm(Settings.from_env())), encode=service.labeller_encoder()).summarize(doc)
    entry = rec.entry("Tameside")
    items = entry.weaknesses + entry.strengths + entry.actions + entry.improvements
    gold = next(g for g in map(json.loads, open(FINDINGS_GOLD, encoding="utf-8")) if g["doc"] == rid)
    found = [f for f in gold["findings"] if any(matches(f["terms"], i.text) for i in items)]
    assert len(found) >= 0.85 * len(gold["findings"]), [f["text"] for f in gold["findings"] if f not in found]
    read = finding_spans(doc.text)
    deep = [i for i in items if not any(a <= i.evidence[0].start < b for a, b in read)]
    assert len(deep) >= 10 and any(matches(f["terms"], i.text) for f in found for i in deep)
    assert max(len(entry.weaknesses), len(entry.strengths), len(entry.actions)) <= 60
    for item in items:
        ev = item.evidence[0]
        assert doc.text[ev.start:ev.end] == ev.text and not cut_off(item.text)
    assert len(rec.overview_evidence) == 2


def test_a_remembering_encoder_embeds_each_text_once():
    seen: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.append(list(texts))
        return cue_encode(texts)

    enc = remembering(encode)
    first = enc(["x do not", "x will"])
    again = enc(["x will", "x took place", "x do not"])
    assert seen == [["x do not", "x will"], ["x took place"]]
    assert np.array_equal(again[[2, 0]], first) and np.array_equal(again[1], cue_encode(["x took place"])[0])
