"""Why and what-found answers from classified findings (summarizer/answer/points.py, summarizer/doc_findings.py)."""
from __future__ import annotations

import numpy as np

from summarizer.answer.points import DocFinding, asked_kinds, cited_lines, question_council, select
from summarizer.answer.records import Passage
from summarizer.doc_findings import from_summary
from summarizer.summaries.schema import ArticleSummary, CouncilEntry, Item, Span


class KindModel:
    def __init__(self, probs: dict[str, float]) -> None:
        self.probs = probs

    def choice_probabilities(self, prompt: str, choices: tuple[str, ...]) -> dict[str, float]:
        assert "Question:" in prompt
        return {c: self.probs.get(c, 0.0) for c in choices}


class WordEncoder:
    """Bag-of-words vectors over a tiny vocabulary: similar texts share words."""

    VOCAB = ["caseload", "worker", "plan", "leader", "oversight", "missing", "seen"]

    def _vec(self, text: str) -> np.ndarray:
        v = np.array([text.lower().count(w) for w in self.VOCAB], dtype=float) + 0.01
        return v / np.linalg.norm(v)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._vec(text)


FOUND = [
    DocFinding("weakness", "Northshire", 0, 40, "Caseloads are too high for each worker."),
    DocFinding("strength", "Northshire", 41, 80, "Leaders know the service well."),
    DocFinding("weakness", "Northshire", 81, 120, "Leaders' oversight of plans is weak."),
    DocFinding("weakness", "Westvale", 121, 160, "Missing children are not seen quickly."),
]


def test_the_kind_asked_is_read_from_the_model_and_an_unsure_reading_keeps_two():
    assert asked_kinds("Why was it rated inadequate?", KindModel({"weakness": 0.9, "strength": 0.1})) == ["weakness"]
    assert asked_kinds("Why?", KindModel({"weakness": 0.5, "action": 0.4, "strength": 0.1})) == ["weakness", "action"]
    assert asked_kinds("Why?", object()) == []  # a model without label probabilities: the model composes instead


def test_a_general_question_keeps_every_finding_of_its_kind_about_its_council():
    got = select("What did inspectors find wrong in Northshire?", FOUND, ["weakness"], "Northshire", WordEncoder())
    assert [f.start for f in got] == [0, 81]  # both weaknesses, in document order; not the strength, not Westvale


def test_a_narrow_question_keeps_the_findings_closest_to_it():
    got = select("Why were caseloads for each worker so high?", FOUND, ["weakness"], None, WordEncoder(), margin=0.3)
    assert [f.start for f in got] == [0]


def test_each_finding_cites_the_passage_that_holds_it():
    passages = [Passage(1, "d", "c1", "t", "x", 0, 60), Passage(2, "d", "c2", "t", "y", 60, 130)]
    lines = cited_lines(FOUND[:3] + [DocFinding("weakness", "N", 500, 540, "Nowhere shown.")], passages)
    assert lines == ["Caseloads are too high for each worker. [1]", "Leaders know the service well. [1]",
                     "Leaders' oversight of plans is weak. [2]"]
    assert question_council("Why was Westvale rated inadequate?", ["Northshire", "Westvale"]) == "Westvale"


def test_stored_summary_items_are_findings_with_their_spans():
    sp = Span(start=5, end=20, text="Plans are weak.")  # spans must match their text's length
    entry = CouncilEntry(council="Northshire", weaknesses=[Item(text="Plans are weak.", evidence=[sp])],
                         improvements=[Item(text="The quality of plans.", evidence=[Span(start=30, end=51,
                                                                                        text="The quality of plans.")])])
    rec = ArticleSummary(doc_id="d", content_hash="h", model_id="m", councils=[entry])
    assert [(f.kind, f.start) for f in from_summary(rec)] == [("weakness", 5), ("action", 30)]


def test_findings_source_reads_a_current_summary_and_labels_any_other_document_once():
    from summarizer.doc_findings import FindingsSource
    from tests.summarizer.test_findings import FakeLabels
    from tests.summarizer.test_summaries import DOCS

    doc = next(d for d in DOCS.values() if d.id.startswith("003_"))
    model = FakeLabels()
    src = FindingsSource({doc.id: doc}.get, lambda d: None, model)
    first = src(doc.id)
    calls = len(model.prompts)
    assert calls > 5 and src(doc.id) == first and len(model.prompts) == calls  # labelled once
    assert all(" ".join(doc.text[f.start:f.end].split()).endswith(f.text[-30:]) for f in first)  # its own span
    sp = Span(start=0, end=len(doc.text[:20]), text=doc.text[:20])
    rec = ArticleSummary(doc_id=doc.id, content_hash=doc.hash, model_id="m", prompt_version="sum-5",
                         councils=[CouncilEntry(council="Darlington", weaknesses=[Item(text="A weakness.",
                                                                                        evidence=[sp])])])
    stored = FindingsSource({doc.id: doc}.get, lambda d: rec, FakeLabels())
    assert [f.text for f in stored(doc.id)] == ["A weakness."]
    old = rec.model_copy(update={"prompt_version": "sum-4"})  # JSON-list summaries: labelled instead
    assert len(FindingsSource({doc.id: doc}.get, lambda d: old, FakeLabels())(doc.id)) > 1


def test_a_server_without_logprobs_leaves_why_questions_to_the_model():
    from summarizer.llm.errors import NoLogprobs

    class NoLogprobsServer:
        supports_logprobs = True  # until its first reply says otherwise

        def choice_probabilities(self, prompt, choices):
            self.supports_logprobs = False
            raise NoLogprobs("no logprobs")

    server = NoLogprobsServer()
    assert asked_kinds("Why was it rated inadequate?", server) == []
    assert asked_kinds("Why was it rated inadequate?", server) == []  # and it is not asked again
