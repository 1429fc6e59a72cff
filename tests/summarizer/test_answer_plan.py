"""The issue-9 steps with no model: list points, council subjects, list members and premise refusals."""
from __future__ import annotations

from summarizer.answer.assemble import assemble
from summarizer.answer.check import check_sentence, focus_terms, other_councils
from summarizer.answer.compose import SentenceBuffer
from summarizer.answer.members import member_sentence
from summarizer.answer.plan import asks_for_points, question_parts
from summarizer.answer.records import AnswerSentence, DropCode, DropReason, Passage

TAMESIDE = ["Tameside", "North Tyneside", "Redbridge"]


def _p(n: int, text: str, councils: list[str] = TAMESIDE) -> Passage:
    return Passage(n, "t", f"t#{n}", "Tameside", text, 0, len(text), None, None, list(councils))


def test_why_and_what_found_questions_ask_for_points_and_fact_questions_do_not():
    assert asks_for_points("Why was Darlington rated inadequate?")
    assert asks_for_points("What weaknesses did Ofsted's monitoring visit still find in Worcestershire?")
    assert asks_for_points("According to the report, why are children not seen often?")
    assert not asks_for_points("What rating did Ofsted give Torbay?")
    assert not asks_for_points("Who is the chief executive of Darlington council?")


def test_a_two_part_question_is_cut_into_its_parts():
    assert question_parts("What grade did Darlington get and who was its director?") == [
        "What grade did Darlington get?", "who was its director?"]


def test_list_numbers_at_a_line_start_are_not_sentences():
    buf, out = SentenceBuffer(), []
    for tok in ["[", "1] Leaders", " lost focus.", "\n", "2. Delay", " in referrals.", "\n", "- [3] Too", " reactive."]:
        out += buf.add(tok)
    out += buf.flush()
    assert [o.strip() for o in out] == ["[1] Leaders lost focus.", "Delay in referrals.", "[3] Too reactive."]


def test_a_finding_about_one_council_restated_as_anothers_is_dropped():
    north = _p(1, "Inside North Tyneside, which was rated outstanding, inspectors praised the staff.")
    own = _p(2, "The council's front door had deteriorated, inspectors said.")
    assert other_councils("Tameside was rated outstanding.", [north]) == ["Tameside"]
    assert other_councils("North Tyneside was rated outstanding.", [north]) == []
    assert other_councils("Tameside's front door had deteriorated.", [own]) == []  # names none: the document's own
    s = check_sentence("Tameside was rated outstanding. [1]", [north, own], 0.5)
    assert not s.supported and s.drop.code is DropCode.OTHER_COUNCIL


def test_a_list_member_needs_its_own_sentence_holding_what_the_list_is_about():
    passages = [_p(1, "Inside North Tyneside, which was rated outstanding before the lockdown, staff were praised."),
                _p(2, "Tameside's front door had deteriorated since the 2019 reinspection, the letter said.")]
    q = "Which councils were rated outstanding?"
    assert focus_terms(q) == {"outstand"}
    item = member_sentence(q, "North Tyneside", passages, own=False, encoder=None)
    assert item is not None and item.citations == [1] and item.about == "North Tyneside"
    assert "North Tyneside" in item.text
    assert member_sentence(q, "Tameside", passages, own=True, encoder=None) is None  # its sentence is another's
    assert member_sentence(q, "Redbridge", passages, own=False, encoder=None) is None


def test_an_answer_that_repeated_an_unheld_premise_is_refused_whole():
    kept = AnswerSentence("Senior leaders were criticised.", [1], True, 1.0)
    premise = AnswerSentence.dropped("The fostering service was criticised.", [1],
                                     DropReason(DropCode.PREMISE, {"words": ["fostering"]}))
    passages = [_p(1, "Senior leaders were criticised.")]
    strict = assemble("What did Ofsted say about the fostering service?", [kept, premise], passages, 0.9, {}, 10,
                      premise_refuses=True)
    assert strict.refused and "fostering" in strict.text
    lenient = assemble("What did Ofsted say about the fostering service?", [kept, premise], passages, 0.9, {}, 10)
    assert lenient.status == "answered"


class _Yes:
    """Yes to every yes/no; records the prompts."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.last = type("Stats", (), {"prompt_tokens": 10})()

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        return 0.9


def test_a_part_asking_only_about_what_no_document_holds_is_unanswered_without_the_model():
    from summarizer.answer.gate import gate

    p = [_p(1, "Darlington was rated inadequate. The chief executive is Ada Burns.", ["Darlington"])]
    parts = ["What grade did Darlington get?", "who was its director of children's services?"]
    llm = _Yes()
    g = gate("What grade did Darlington get and who was its director of children's services?", p, [p[0].text], llm,
             0.6, {}, 0.0, parts)
    assert g.passed and g.answered == parts[:1] and g.unanswered == parts[1:]
    assert len(llm.prompts) == 1  # only the answerable part was put to the model


def test_a_question_sharing_nothing_it_asks_about_with_the_documents_is_refused_without_the_model():
    from summarizer.answer.gate import gate

    p = [_p(1, "Darlington's senior leaders were criticised for weak oversight.", ["Darlington"])]
    llm = _Yes()
    g = gate("What did Ofsted say about Darlington's fostering service?", p, [p[0].text], llm, 0.6, {}, 0.0)
    assert not g.passed and "fostering" in g.refusal.text and not llm.prompts


def test_a_figure_answers_a_how_much_question_only_when_it_is_about_what_was_asked():
    passages = [_p(1, "Worcestershire allocated an extra £5.1 million; Essex was appointed improvement partner.",
                   ["Worcestershire"])]
    off = AnswerSentence("Essex council: £5.1 million.", [1], True, 1.0)
    a = assemble("How much is Essex council being paid to act as improvement partner?", [off], passages, 0.9, {}, 10)
    assert a.refused and off.drop.code is DropCode.NO_FIGURE
    on = AnswerSentence("Worcestershire allocated an extra £5.1 million.", [1], True, 1.0)
    assert assemble("How much extra money did Worcestershire allocate?", [on], passages, 0.9, {}, 10).status == "answered"


def test_words_naming_the_kind_of_answer_are_not_what_a_question_is_about():
    # "which month" is answered by "April", "take place" by a date: only "visit"'s topic words must be in a document
    assert focus_terms("In which month did Ofsted's focused visit take place?") == {"focus", "visit"}
    assert focus_terms("How did Torbay's view of caseloads differ between the two visits?") == {"caseload", "two",
                                                                                                 "visit"}


def test_a_figure_part_no_sentence_gives_is_named_as_unanswered_not_a_refusal():
    """"Who is X, and how much ...?": the who part is answered; the how-much part is what the articles don't say."""
    from summarizer.answer.plan import question_parts

    passages = [_p(1, "Ada Burns, chief executive of the council, said the council will recruit a supervisor.",
                   ["Darlington"])]
    q = "Who is Darlington council's chief executive, and how much does the council spend on children's services?"
    who = AnswerSentence("Ada Burns is the chief executive of the council.", [1], True, 1.0)
    a = assemble(q, [who], passages, 0.9, {}, 10, parts=question_parts(q))
    assert a.status == "answered" and a.sentences == [who]
    assert a.unanswered == ["how much does the council spend on children's services?"]
    assert "don't answer “how much does the council spend" in a.text
    whole = AnswerSentence("Ada Burns is the chief executive of the council.", [1], True, 1.0)
    only = "How much does Darlington council spend on children's services?"
    assert assemble(only, [whole], passages, 0.9, {}, 10, parts=question_parts(only)).refused


def _result(docs: list[str], councils: list[str]):
    from retrieval.records import Chunk, Hit, SearchResult

    hits = [Hit(Chunk(f"{d}#0", d, "text", 0, 4, list(councils)), 1.0) for d in docs]
    return SearchResult("q", hits, query_councils=list(councils))


def test_a_comparison_of_councils_one_document_covers_is_answered_council_by_council():
    from summarizer.answer.plan import PlanKind, plan_question

    compare = "How did Tameside's front door compare with those of North Tyneside and Redbridge?"
    assert plan_question(compare, _result(["t"], TAMESIDE), 5, 2).kind is PlanKind.PER_DOCUMENT
    # naming two councils is not a comparison: one fact, from the best document
    paid = "How much is Essex council being paid to act as Worcestershire's improvement partner?"
    assert plan_question(paid, _result(["w"], ["Worcestershire", "Essex"]), 5, 2).kind is PlanKind.SINGLE


def test_which_two_other_councils_is_a_list_question():
    from summarizer.answer.plan import PlanKind, plan_question

    q = "Which two other councils' front doors does the Tameside article report on?"
    assert plan_question(q, _result(["t"], ["Tameside"]), 5, 2).kind is PlanKind.LIST


def test_a_year_another_document_of_the_comparison_holds_is_no_gap_for_this_one():
    from summarizer.answer.gate import gate

    class Yes:
        last = type("L", (), {"prompt_tokens": 0})()
        prompts: list[str] = []

        def yes_probability(self, prompt: str) -> float:
            self.prompts.append(prompt)
            return 0.9

    later = [Passage(1, "b", "b#0", "t", "High caseloads in Torbay persist.", 0, 20, "2019-07-01", None, ["Torbay"])]
    earlier = [Passage(1, "a", "a#0", "t", "Caseloads in Torbay are manageable.", 0, 20, "2016-01-10", None, ["Torbay"])]
    q = "How did Torbay's caseloads change between the 2015 inspection and the 2019 visit?"
    assert not gate(q, later, [], Yes(), 0.6, {}, 0.0).passed  # alone, 2015 is a gap
    model = Yes()
    assert gate(q, later, [], model, 0.6, {}, 0.0, others=earlier).passed
    assert "or part of it" in model.prompts[-1]  # one side of the comparison is enough for this document
