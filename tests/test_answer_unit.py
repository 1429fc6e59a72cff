"""The answer checker's exact checks, with hand-made passages (no model)."""
from summarizer.answer import check_sentence, parse_sentence, question_gaps, render
from summarizer.records import Passage
from summarizer.verify import check_support, numbers

P = [
    Passage(1, "d1", "d1#0", "Darlington rated inadequate", "Inspectors found 94 assessments had not been completed in the timescales agreed, which left children in situations of unassessed risk.", 0, 10, "2015-09-01"),
    Passage(2, "d1", "d1#1", "Darlington rated inadequate", "Ada Burns, chief executive of the council, said the council will immediately recruit an additional practice supervisor.", 10, 20, "2015-09-01"),
]


def test_parse_sentence_citations():
    assert parse_sentence("Ofsted found 94 assessments late [1].") == ("Ofsted found 94 assessments late.", [1])
    assert parse_sentence("Burns spoke [1, 2] and more [2]") == ("Burns spoke and more", [1, 2])


def test_supported_sentence_is_kept():
    s = check_sentence("Inspectors found 94 assessments had not been completed in the agreed timescales [1].", P, 0.5)
    assert s.supported and s.citations == [1]


def test_changed_number_is_dropped():
    s = check_sentence("Inspectors found 49 assessments had not been completed in the agreed timescales [1].", P, 0.5)
    assert not s.supported and "49" in s.note


def test_invented_name_is_dropped():
    s = check_sentence("John Pearson, chief executive of the council, said it will recruit a practice supervisor [2].", P, 0.5)
    assert not s.supported and "John Pearson" in s.note


def test_wrong_passage_cited_is_corrected_or_dropped():
    s = check_sentence("Ada Burns said the council will recruit an additional practice supervisor [1].", P, 0.5)
    assert s.supported and s.citations == [2] and "corrected" in s.note
    s = check_sentence("Ada Burns said the council will close its fostering agency and sell its buildings [1].", P, 0.5)
    assert not s.supported


def test_missing_citation_is_added_when_support_is_strong():
    s = check_sentence("Ada Burns said the council will immediately recruit an additional practice supervisor.", P, 0.5)
    assert s.supported and s.citations == [2] and "added" in s.note


def test_nonexistent_citation_number():
    s = check_sentence("Inspectors found 94 assessments had not been completed [7].", P, 0.5)
    assert s.citations == [1]


def test_question_gaps_years_and_names():
    assert question_gaps("What did Ofsted find in Darlington in 2021?", P) == ["2021"]
    assert question_gaps("What did Ofsted find in Darlington in 2015?", P) == []
    assert "Richard Williams" in question_gaps("What did Richard Williams say about Darlington?", P)
    assert question_gaps("How many assessments were late?", P) == []


def test_numbers_and_support():
    assert numbers("67% of care leavers, well above 45 per cent; 1,200 visits [3]") == {"67%", "45%", "1200"}
    chk = check_support("Inspectors found 94 assessments late.", P[0].text)
    assert not chk.hard_fail


def test_render():
    from summarizer.records import AnswerSentence

    assert render([AnswerSentence("A.", [1], True), AnswerSentence("B.", [1, 2], True)]) == "A. [1] B. [1] [2]"


def test_wordless_output_is_not_a_sentence():
    s = check_sentence(",,, [1][2]", P, 0.5)
    assert not s.supported


def test_judgement_word_must_be_in_cited_passage():
    s = check_sentence("Inspectors found 94 assessments had not been completed in timescales, which was inadequate [1].", P, 0.5)
    assert not s.supported and "inadequate" in s.note


def test_question_premise_without_evidence_is_dropped():
    q = "Who was Darlington's director of children's services?"
    s = check_sentence("Ada Burns was the director of children's services [2].", P, 0.5, q)
    assert not s.supported and "director" in s.note
    ok = check_sentence("Ada Burns is chief executive of the council [2].", P, 0.5, "Who is Ada Burns?")
    assert ok.supported
