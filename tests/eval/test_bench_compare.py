"""The brief-vs-LlamaIndex bench without a model or llama-index: refusal reading, scoring, summary, ChatML prompts."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from eval.bench.ask import _args, _items
from eval.bench.compare_scoring import (baseline_answer, compare_summary, format_table, percentile, refusal_phrase,
                                        score_answer)
from eval.qa.loading import QAItem
from summarizer.answer.records import Answer

ANSWERABLE = QAItem(id="a", question="What rating did Torbay get?", answerable=True, facts=[["inadequate"], ["2015"]],
                    wrong=["outstanding"])
UNANSWERABLE = QAItem(id="u", question="Who runs Slough's services?", answerable=False)


@pytest.mark.parametrize("text", [
    "", "   ", "Empty Response",
    "The context does not provide information about the director of Slough's children's services.",
    "The provided context information doesn't mention Slough.",
    "There is no information about Slough in the context.",
    "The director is not mentioned in the context.",
    "I'm sorry, but this cannot be determined from the given context.",
    "I don't know.",
    "Based on the articles, the answer is not specified. Torbay was rated inadequate.",
])
def test_refusals_are_read_from_the_first_sentence(text):
    assert refusal_phrase(text) is not None
    assert baseline_answer(text).refused and baseline_answer(text).status == "refused"


@pytest.mark.parametrize("text", [
    "Ofsted rated Torbay's children's services inadequate in 2015.",
    "Torbay was rated inadequate. The context does not mention who the director was.",  # a refusal after an answer
    "Inspectors found no information sharing agreements were in place.",  # "no information" as the topic
    "The council did not provide enough social workers, and Ofsted rated it inadequate.",
])
def test_answers_are_not_refusals(text):
    assert refusal_phrase(text) is None
    assert not baseline_answer(text).refused and baseline_answer(text).status == "answered"


def test_a_baseline_is_scored_like_a_brief_answer():
    text = "Ofsted rated Torbay's children's services inadequate in 2015."
    brief = score_answer(ANSWERABLE, Answer(question="q", status="answered", text=text), 3.0)
    base = score_answer(ANSWERABLE, baseline_answer(text), 9.0)
    assert {k: v for k, v in brief.items() if k != "total_s"} == {k: v for k, v in base.items() if k != "total_s"}
    assert base["facts_all"] and base["facts_found"] == 2 == base["facts_total"] and not base["false_refusal"]
    refused = score_answer(ANSWERABLE, baseline_answer("The context does not say, but it was inadequate."), 1.0)
    assert refused["false_refusal"] and refused["facts_found"] == 0 and not refused["facts_all"]
    wrong = score_answer(ANSWERABLE, baseline_answer("It was inadequate in 2015, later outstanding."), 1.0)
    assert wrong["says_wrong"] and not wrong["facts_all"]
    invented = score_answer(UNANSWERABLE, baseline_answer("Jane Smith runs them."), 1.0)
    assert invented["hallucinated_answer"] and not invented["refusal_correct"]
    declined = score_answer(UNANSWERABLE, baseline_answer("The context does not mention Slough."), 1.0)
    assert declined["refusal_correct"] and not declined["hallucinated_answer"]


def test_percentile_interpolates_like_numpy():
    assert percentile([], 50) is None
    assert percentile([4.0], 95) == 4.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 10.0], 95) == 8.95


def test_the_summary_counts_each_system_and_the_time_ratio():
    def row(item, brief_text, base_text, brief_s, base_s):
        brief = score_answer(item, Answer(question="q", status="answered" if brief_text else "refused", text=brief_text), brief_s)
        return {"answerable": item.answerable, "brief": brief,
                "llamaindex": score_answer(item, baseline_answer(base_text), base_s)}

    rows = [row(ANSWERABLE, "Rated inadequate in 2015.", "It was rated inadequate.", 2.0, 10.0),
            row(ANSWERABLE, "", "Rated inadequate in 2015.", 4.0, 20.0),
            row(UNANSWERABLE, "", "Jane Smith runs them.", 1.0, 5.0)]
    s = compare_summary(rows)
    b, li = s["brief"], s["llamaindex"]
    assert (b["questions"], b["answerable"], b["unanswerable"]) == (3, 2, 1)
    assert (b["key_facts_correct"], b["key_facts_partial"], b["false_refusals"], b["hallucinated_answers"]) == (0.5, 0.5, 1, 0)
    assert (li["key_facts_correct"], li["key_facts_partial"], li["false_refusals"], li["hallucinated_answers"]) == (0.5, 0.75, 0, 1)
    assert (b["total_s_p50"], li["total_s_p50"], s["brief_over_llamaindex_time_p50"]) == (2.0, 10.0, 0.2)
    table = format_table(s)
    assert "false refusals" in table and "0.2x" in table and "llamaindex" in table


def test_chatml_prompts_and_no_llama_index_import():
    from eval.bench.llamaindex_baseline import completion_to_prompt, messages_to_prompt

    assert "llama_index" not in sys.modules and "llama_index.core" not in sys.modules
    p = completion_to_prompt("Query: x")
    assert p.startswith("<|im_start|>system\nYou are Qwen") and p.endswith("Query: x<|im_end|>\n<|im_start|>assistant\n")
    msgs = [SimpleNamespace(role=SimpleNamespace(value="system"), content="Be brief."),
            SimpleNamespace(role="user", content="Hi")]
    assert messages_to_prompt(msgs) == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                                        "<|im_start|>assistant\n")
    assert messages_to_prompt(msgs[1:]).startswith("<|im_start|>system\nYou are Qwen")


def test_questions_are_chosen_by_ids_then_limit():
    assert [i.id for i in _items(_args(["--ids", "q03, q01", "--limit", "1"]))] == ["q03"]
    assert [i.id for i in _items(_args(["--limit", "2"]))] == ["q01", "q02"]
    with pytest.raises(SystemExit, match="q999"):
        _items(_args(["--ids", "q999"]))
