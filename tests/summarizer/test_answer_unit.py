"""The answer checker's exact checks, with hand-made passages (no model)."""
from summarizer.answer.answerer import check_sentence, parse_sentence, question_gaps, render
from summarizer.answer.records import DropCode, Passage
from summarizer.support import check_support, content_terms, numbers

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
    from summarizer.answer.records import AnswerSentence

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
    # words that frame the question (who spoke, which article names...) are not premises to be proved
    spoke = check_sentence("Ada Burns spoke for the council and said it will recruit an additional practice supervisor [2].",
                           P, 0.5, "Who spoke for the council?")
    assert spoke.supported
    sanction = check_sentence("The government imposed sanctions on the council [2].", P, 0.5,
                              "What sanctions were imposed on the council?")
    assert not sanction.supported and "sanctions" in sanction.note


def test_a_premise_word_is_held_by_its_derivation_but_not_by_a_lookalike():
    from summarizer.answer.check import premise_words

    known = content_terms("The MP asked the government to intervene; an assessor explored what was found.")
    q = "Which MP called for government intervention, and who was the assessment for?"
    assert premise_words(q, "He called for government intervention and an assessment.", known) == []
    # "exploitation" shares five letters with "explored" but is another word: still a premise no article holds
    assert premise_words("What exploitation was found?", "Exploitation was found.", known) == ["exploitation"]


def _report(doc_id="r1"):
    from retrieval.records import DocMeta, Judgement
    from retrieval.store import StoredDocument

    text = ("Inspection of Lewisham local authority children's services\nJudgement Grade\nThe impact of leaders on social "
            "work practice with children and families Good\nOverall effectiveness Requires improvement to be good\n"
            "Leaders know their services well.")
    a = text.index("The impact")
    b = text.index("Overall effectiveness")
    meta = DocMeta(councils=["Lewisham"], doc_type="report", inspection_dates=["2023-12-04", "2023-12-15"],
                   judgements=[Judgement("good", "Lewisham", "impact of leaders", a, b - 1),
                               Judgement("requires improvement", "Lewisham", "overall effectiveness", b, text.index("\nLeaders")),
                               Judgement("inadequate", "Lewisham", None, 0, 5)])  # not from the table: no area
    return StoredDocument(id=doc_id, title="Lewisham report", text=text, hash="h", date="2024-01-31", meta=meta)


def test_judgement_card_for_questions_about_grades():
    """A report's judgement table (read by code) becomes one plain passage before the report's first passage, with the
    table's span; other passages are renumbered; a question not about judgements gets no card; articles get none."""
    from summarizer.answer.cards import judgement_card, with_judgement_cards

    doc = _report()
    card = judgement_card(doc)
    assert "the impact of leaders on social work practice with children and families: good" in card.text
    assert "overall effectiveness: requires improvement" in card.text and "inadequate" not in card.text
    assert "4 December 2023" in card.text
    assert (card.start, card.end) == (doc.text.index("The impact"), doc.text.index("\nLeaders"))
    passages = [Passage(1, "a1", "a1#0", "article", "Some article text.", 0, 10),
                Passage(2, "r1", "r1#3", "Lewisham report", "Leaders know their services well.", 100, 130)]
    docs = {"r1": doc}
    out = with_judgement_cards("What grade did Ofsted give Lewisham in 2023?", [*passages], docs.get)
    assert [p.chunk_id for p in out] == ["a1#0", "r1#judgements", "r1#3"] and [p.n for p in out] == [1, 2, 3]
    assert with_judgement_cards("What did inspectors say about leaders?", [*passages], docs.get) == passages
    doc.meta.doc_type = "article"
    assert judgement_card(doc) is None


def test_misread_judgement_card_is_dropped():
    """A sentence giving an area another grade than the judgement table says is dropped, whatever it cites; the
    right grade (in any wording) is kept; a sentence about grades that states none is dropped."""
    from summarizer.answer.cards import card_conflict, with_judgement_cards

    doc = _report()
    passages = with_judgement_cards("What grade did Lewisham get?",
                                    [Passage(1, "r1", "r1#3", "Lewisham report", "Leaders know their services well.", 100, 130)],
                                    {"r1": doc}.get)
    card = passages[0]
    assert card_conflict("Ofsted judged the impact of leaders good.", passages, [1]) == ""
    assert "overall effectiveness: requires improvement" in card_conflict(
        "Lewisham's overall effectiveness was rated outstanding.", passages, [2])
    assert card_conflict("Overall effectiveness requires improvement to be good.", passages, [1]) == ""
    assert "without" in card_conflict("Ofsted gave Lewisham a Grade D for overall effectiveness.", passages, [1])
    assert card_conflict("Leaders know their services well.", passages, [2]) == ""  # no grade talk: not about the card
    s = check_sentence("Lewisham's overall effectiveness was rated outstanding [1].", passages, 0.5)
    assert not s.supported and "judgement table" in s.note


def test_sentence_about_another_year_is_dropped():
    """A question anchored in a year is not answered by a sentence about a different time."""
    q = "How many assessments were late at Darlington's 2023 inspection?"
    s = check_sentence("At 31 March 2014, 94 assessments had not been completed in the timescales agreed [1].", P, 0.5, q)
    assert not s.supported and "2014" in s.note and "2023" in s.note
    ok = check_sentence("Inspectors found 94 assessments had not been completed in the timescales agreed [1].", P, 0.5, q)
    assert ok.supported  # no year stated: the passages decide


def test_quantity_questions_and_answers():
    from summarizer.support import asks_quantity, states_quantity

    assert asks_quantity("How many children were in care?") and asks_quantity("What proportion of care leavers...?")
    assert not asks_quantity("Why was Darlington rated inadequate?")
    assert states_quantity("Inspectors found 94 assessments late.") and states_quantity("Torbay was rated inadequate twice.")
    assert not states_quantity("The new director started in 2019.")  # a year is not an answer to "how many"
    assert not states_quantity("The council is proud of its care leavers.")


class _FakeLLM:
    """Says yes to everything and writes a canned answer (the answerer's control flow, without a model)."""

    def __init__(self, answer: str) -> None:
        from types import SimpleNamespace

        self.answer = answer
        self.settings = SimpleNamespace(max_answer_tokens=100)
        self.last = SimpleNamespace(prompt_tokens=10)

    def yes_probability(self, prompt: str) -> float:
        return 0.9

    def stream(self, prompt, max_tokens=None, stop=None):
        yield from self.answer.split(" ")[:1]
        for w in self.answer.split(" ")[1:]:
            yield " " + w


def _answer(question: str, generated: str):
    from types import SimpleNamespace

    from retrieval.records import Chunk, Hit, SearchResult
    from summarizer.answer.answerer import Answerer
    from summarizer.settings import AnswerSettings

    hits = [Hit(Chunk(f"d1#{i}", "d1", p.text, p.start, p.end, ["Darlington"]), 1.0, title=p.title, date=p.date)
            for i, p in enumerate(P)]
    retriever = SimpleNamespace(search=lambda q, k=None, filters=None: SearchResult(q, hits, ["Darlington"]))
    return Answerer(retriever, _FakeLLM(generated), AnswerSettings()).ask(question)


def test_quantity_question_answered_without_a_figure_is_refused():
    """"How many..." answered only by true sentences that give no figure is not an answer: the articles don't say."""
    a = _answer("How many practice supervisors will Darlington recruit?",
                "Ada Burns said the council will immediately recruit an additional practice supervisor [2].")
    assert a.refused and "no figure" in a.dropped[0].note
    b = _answer("How many assessments were late in Darlington?",
                "Inspectors found 94 assessments had not been completed in the timescales agreed [1].")
    assert not b.refused and "94" in b.text


def test_a_year_that_bounds_the_question_admits_earlier_or_later_years():
    """"Before the 2015 inspection" asks about earlier years; "since 2019" about later ones."""
    from retrieval.dates import year_ranges

    assert year_ranges("When was it judged inadequate before the 2015 inspection?") == [(0, 2016)]
    assert year_ranges("What has changed since Torbay's 2019 visit?") == [(2018, 9999)]
    assert year_ranges("What was published by Ofsted in 2016?") == [(2015, 2017)]  # "by Ofsted": not a bound
    torbay = [Passage(1, "t", "t#0", "Torbay", "Torbay's services were judged inadequate in 2010 and again in 2015.",
                      0, 10, "2015-06-01")]
    before = "When had Torbay's services previously been judged inadequate before the 2015 inspection?"
    s = check_sentence("Torbay's services were judged inadequate in 2010 [1].", torbay, 0.0, before)
    assert s.supported
    later = check_sentence("Torbay's services were judged inadequate in 2019 [1].", torbay, 0.0, before)
    assert later.drop is not None and later.drop.code is DropCode.OTHER_YEAR


def test_a_relation_turned_round_is_dropped_though_every_word_is_cited():
    """The source makes Essex Worcestershire's partner; the sentence makes Worcestershire Essex's."""
    from summarizer.relations import swapped_owners

    src = "Essex council was formally appointed as Worcestershire's 'improvement partner' last year."
    passages = [Passage(1, "w", "w#0", "Worcestershire", src, 0, 10, "2017-01-01")]
    wrong = check_sentence("Worcestershire was appointed as Essex's 'improvement partner' [1].", passages, 0.5)
    assert not wrong.supported and wrong.drop.code is DropCode.SWAPPED and "Essex/Worcestershire" in wrong.note
    right = check_sentence("Essex was appointed as Worcestershire's improvement partner [1].", passages, 0.5)
    assert right.supported
    assert swapped_owners("Torbay's director praised Devon.", "Devon's director praised Torbay.") == ["Torbay/Devon"]
    assert swapped_owners("Torbay's director spoke.", "Torbay's director and Devon's director spoke.") == []
    assert swapped_owners("Darlington's social workers are stretched.", "The council's social workers are stretched.") == []

