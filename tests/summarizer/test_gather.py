"""The gate's fragments (summarizer/answer/gather.py): the chunks whose best sentence bears on the question, trimmed."""
from __future__ import annotations

from retrieval.records import Chunk, Hit
from summarizer.answer.gather import gather_passages
from tests.summarizer.test_points import WordEncoder


def _hit(n: int, text: str) -> Hit:
    return Hit(Chunk(f"d#{n}", "d", text, 0, len(text), ["Northshire"]), 1.0 / (n + 1), title="t")


FILLER = "The council met in the town hall on a Tuesday. " * 8


def test_a_chunk_ranked_low_by_search_whose_sentence_answers_is_read_and_so_is_the_sentence_after_it():
    hits = [_hit(0, "Leaders spoke at length about the weather. " + FILLER),
            _hit(1, "Leaders were seen at the town hall. " + FILLER),
            _hit(2, FILLER + "Recruiting enough caseload workers has been hard. Staff were moved from another team "
                 "to cover the gap. " + FILLER)]
    got = gather_passages("How did leaders answer the hard recruiting of caseload workers?", hits, lambda d: None,
                          lambda d: None, WordEncoder(), budget=120, count=1)
    assert [p.chunk_id for p in got] == ["d#2"]
    assert "Staff were moved from another team" in got[0].text  # carried by the sentence before it
    assert len(got[0].text) <= 130


def test_without_an_encoder_search_order_decides():
    hits = [_hit(0, "First chunk."), _hit(1, "Second chunk."), _hit(1, "Second chunk.")]
    got = gather_passages("Which chunk?", hits, lambda d: None, lambda d: None, None, budget=100, count=4)
    assert [p.text for p in got] == ["First chunk.", "Second chunk."]
