"""Extractive answer lines (summarizer/answer/extract.py): which council a sentence is about, which sentences are put
to the model, and the model's verdict on each (a fake model)."""
from __future__ import annotations

from summarizer.answer.extract import candidates, judge_candidates, owners, sentences
from summarizer.answer.records import Passage
from tests.summarizer.test_points import WordEncoder

COUNCILS = ["Tameside", "North Tyneside", "Redbridge"]
P = [
    Passage(1, "d", "d#0", "t", "Caseloads in Tameside remain too high for each worker. Leaders do not know their "
            "services well enough.", 0, 100, councils=COUNCILS),
    Passage(2, "d", "d#1", "t", "In North Tyneside, inspectors praised the highly trained staff. Their workers have "
            "manageable caseloads and good oversight. Every plan is reviewed on time by a manager.", 100, 250,
            councils=COUNCILS),
    Passage(3, "d", "d#2", "t", "A spokesperson for the council said it accepted the findings in full today. The "
            "council will recruit more permanent social workers this year.", 250, 400, councils=COUNCILS),
]


def test_a_sentence_belongs_to_the_council_it_names_and_the_few_after_it():
    texts = [t for t, _ in sentences(P)]
    got = owners(texts, COUNCILS, follow=2)
    assert got[:2] == ["Tameside", "Tameside"]
    assert got[2:5] == ["North Tyneside"] * 3  # named, then carried two sentences
    assert got[5:] == ["Tameside", "Tameside"]  # back to the document's own council


def test_candidates_are_the_councils_sentences_closest_to_the_question():
    enc = WordEncoder()
    got = candidates("What did inspectors say about caseloads for each worker?", P, enc, "Tameside", top=2)
    assert got[0].text == "Caseloads in Tameside remain too high for each worker." and len(got) == 2
    assert all(c.council == "Tameside" for c in got)
    other = candidates("What did inspectors say about caseloads for each worker?", P, enc, "North Tyneside", top=5)
    # its three sentences, and the one after (three sentences follow a naming one)
    assert sorted(c.text[:12] for c in other) == ["A spokespers", "Every plan i", "In North Tyn", "Their worker"]


def test_short_lines_are_never_candidates():
    p = [Passage(1, "d", "d#0", "t", "Caseloads remain high. Caseloads in the council remain far too high.", 0, 70,
                 councils=["Tameside"])]
    got = candidates("caseloads", p, WordEncoder(), None, top=5)
    assert [c.text for c in got] == ["Caseloads in the council remain far too high."]


class RelevanceModel:
    """P(yes) by whether the statement holds a word."""

    def __init__(self, word: str) -> None:
        self.word = word

    def yes_probability(self, prompt: str) -> float:
        statement = prompt.rpartition("Statement:")[2].partition("\n")[0]
        return 0.9 if self.word in statement.lower() else 0.1


def test_each_candidate_gets_the_models_verdict_in_document_order():
    found = candidates("caseloads oversight", P, WordEncoder(), None, top=6)
    judged = judge_candidates("What about caseloads?", P, found, RelevanceModel("caseloads"))
    order = [t for t, _ in sentences(P)]
    assert [order.index(e.candidate.text) for e in judged] == sorted(order.index(e.candidate.text) for e in judged)
    assert {e.line for e in judged if e.p_yes > 0.5} == {
        "Caseloads in Tameside remain too high for each worker. [1]",
        "Their workers have manageable caseloads and good oversight. [2]"}
