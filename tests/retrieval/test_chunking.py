from retrieval.chunking import chunk_document, tokenizer_counter
from retrieval.records import CleanText, DocMeta
from retrieval.sentences import split_sentences


def _clean(text: str) -> CleanText:
    return CleanText(text=text, offsets=list(range(len(text))))


def test_sentences_keep_abbreviations_and_spans():
    text = "Mr. Smith said it was poor. Inspectors found 94 cases.\nA new line starts here"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Smith said it was poor.",
        "Inspectors found 94 cases.",
        "A new line starts here",
    ]


def test_chunk_spans_slice_back_and_fit_window():
    body = " ".join(f"Sentence number {i} says something about social work practice in the council." for i in range(80))
    clean = _clean(body)
    chunks = chunk_document("doc", clean, DocMeta(councils=["Torbay"]), max_tokens=100, overlap=1)
    assert len(chunks) > 5
    for c in chunks:
        assert body[c.start:c.end] == c.text
        assert c.councils == ["Torbay"]
        assert len(c.text.split()) * 1.3 <= 100 + 20
    # consecutive chunks overlap by one sentence
    assert chunks[1].start < chunks[0].end


def test_over_long_sentence_is_cut():
    body = "word " * 2000
    chunks = chunk_document("d", _clean(body.strip()), DocMeta(), max_tokens=200)
    assert all(len(c.text) < len(body) for c in chunks)


def test_comment_part_is_chunked_separately():
    text = "Ofsted said the council was inadequate.\nI think they should all be sacked!"
    clean = CleanText(text=text, offsets=list(range(len(text))), comment_start=text.index("I think"))
    chunks = chunk_document("d", clean, DocMeta(), max_tokens=200)
    assert [c.role for c in chunks] == ["body", "comment"]


def test_real_tokenizer_counts_fit_embedder_window():
    count = tokenizer_counter()
    text = " ".join(["Children in care were seen regularly by their social workers."] * 60)
    chunks = chunk_document("d", _clean(text), DocMeta(), max_tokens=200, count_tokens=count)
    assert max(count([c.text for c in chunks])) <= 256
