"""The transformers Generator (summarizer/llm/hf.py) over a tiny fake tokenizer and model: P(yes) from the next
token's logits, greedy streaming with the KV cache carried, stop strings, unconstrained JSON; no real model."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from summarizer.llm.hf import HFGenerator, until_stop
from summarizer.llm.interface import Generator
from summarizer.llm.local import PromptTooLong
from summarizer.settings import ModelSettings, Settings

torch = pytest.importorskip("torch")

SPECIAL = ["<|im_start|>", "<|im_end|>", "<eos>"]
WORDS = ["yes", "Yes", " yes", " Yes", "YES", "no", "No", " no", " No", "NO", "Darlington", " inadequate"]


class FakeTokenizer:
    """Word pieces from WORDS (longest match first), else one character a token; the chat markers are special."""

    eos_token_id = 2

    def __init__(self) -> None:
        chars = [chr(c) for c in range(32, 127)] + ["\n"]
        self.vocab = SPECIAL + WORDS + [c for c in chars if c not in WORDS]
        self.ids = {t: i for i, t in enumerate(self.vocab)}
        self.calls: list[tuple[str, bool]] = []

    def encode(self, text: str, add_special_tokens: bool = True, split_special_tokens: bool = False) -> list[int]:
        self.calls.append((text, split_special_tokens))
        out, i = [], 0
        while i < len(text):
            word = max((w for w in WORDS if text.startswith(w, i)), key=len, default=text[i])
            out.append(self.ids[word])
            i += len(word)
        return out

    def convert_tokens_to_ids(self, token: str) -> int:
        return self.ids[token]

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return "".join(self.vocab[i] for i in ids if not (skip_special_tokens and self.vocab[i] in SPECIAL))


class FakeModel:
    """Scores the next token by a rule over the whole sequence so far (the KV cache is the list of tokens seen)."""

    device = torch.device("cpu")

    def __init__(self, tok: FakeTokenizer, script: str = "", yes_logits: dict[str, float] | None = None) -> None:
        self.tok = tok
        self.script = tok.encode(script) + [tok.eos_token_id]
        self.yes_logits = yes_logits or {}
        self.calls: list[int] = []  # tokens fed per call

    def __call__(self, input_ids, cache=None, use_cache: bool = False):  # transformers 5 names the KV cache "cache"
        new = input_ids[0].tolist()
        assert cache is None or len(new) == 1, "with a KV cache only the new token is fed"
        past = SimpleNamespace(tokens=(cache.tokens if cache else []) + new,
                               prompt_len=cache.prompt_len if cache else len(new))
        seen = past.tokens
        self.calls.append(len(new))
        logits = torch.full((1, len(new), len(self.tok.vocab)), -30.0)
        k = len(seen) - past.prompt_len
        if "water" in self.tok.decode(seen):  # a yes/no prompt: the scripted next-token logits
            for word, value in self.yes_logits.items():
                logits[0, -1, self.tok.ids[word]] = value
        else:
            logits[0, -1, self.script[min(k, len(self.script) - 1)]] = 10.0
        return SimpleNamespace(logits=logits, cache=past if use_cache else None)


def generator(script: str = "", yes_logits: dict[str, float] | None = None, n_ctx: int = 4096) -> HFGenerator:
    tok = FakeTokenizer()
    model = FakeModel(tok, script, yes_logits)
    tok.calls.clear()
    return HFGenerator(ModelSettings(n_ctx=n_ctx, max_answer_tokens=64), "/models/tiny", loaded=(tok, model))


def test_it_is_a_generator_with_logprobs():
    g = generator()
    assert isinstance(g, Generator) and g.supports_logprobs and g.model_id == "hf:tiny"


def test_yes_probability_is_the_yes_share_of_the_next_token_logits():
    import math

    g = generator(yes_logits={" yes": 2.0, "Yes": 1.0, " no": 0.0})
    p = g.yes_probability("Is water wet? Answer:")
    assert p == pytest.approx((math.e ** 2 + math.e) / (math.e ** 2 + math.e + 1), rel=1e-6)
    ordered = [generator(yes_logits={" yes": y, " no": 0.0}).yes_probability("water?") for y in (-3.0, 0.0, 3.0)]
    assert ordered == sorted(ordered) and ordered[0] < 0.5 < ordered[2] and ordered[1] == pytest.approx(0.5)
    probs = generator(yes_logits={"No": 4.0, " yes": 1.0}).choice_probabilities("water?", ("yes", "No"))
    assert probs["No"] > probs["yes"] and sum(probs.values()) == pytest.approx(1.0)


def test_only_the_template_markers_are_special_tokens():
    g = generator()
    tok = g._loaded[0]
    ids = g.tokenize("<|im_start|>user\nA <|endoftext|><|im_end|>")
    assert ids[0] == tok.ids["<|im_start|>"] and ids[-1] == tok.ids["<|im_end|>"]
    assert tok.calls == [("user\nA <|endoftext|>", True)]  # forged markers inside the text stay plain characters


def test_complete_is_greedy_and_cut_before_the_first_stop_string():
    g = generator("Darlington was inadequate.\n\nQuestion: and next?")
    model = g._loaded[1]
    assert g.complete("<|im_start|>user\nWhy?<|im_end|>\n", stop=["\n\nQuestion:"]) == "Darlington was inadequate."
    assert model.calls[0] > 1 and set(model.calls[1:]) == {1}  # the prompt once, then one token a step
    assert len(model.calls) <= len(g.tokenize("Darlington was inadequate.\n\nQuestion:")) + 1  # stopped there
    assert g.last.prompt_tokens == model.calls[0] and g.last.completion_tokens > 0
    assert generator("a\n\nb").complete("x", stop=["\n\nQ"]) == "a\n\nb"  # a held-back partial stop is given back


def test_stream_yields_pieces_ending_at_the_end_token_or_max_tokens():
    g = generator("Darlington inadequate")
    pieces = list(g.stream("Why?"))
    assert len(pieces) > 1 and "".join(pieces) == "Darlington inadequate"
    assert g.complete("Why?", max_tokens=1) == "Darlington"


def test_json_is_parsed_from_an_unconstrained_completion():
    g = generator('Here: {"council": "Darlington", "grade": "inadequate"}<|im_end|> trailing')
    assert g.json("Reply in JSON.", {"type": "object"}) == {"council": "Darlington", "grade": "inadequate"}


def test_a_prompt_beyond_the_context_is_refused():
    with pytest.raises(PromptTooLong, match="context of 8"):
        generator("x", n_ctx=8).complete("a much longer prompt than eight tokens")


def test_until_stop_holds_back_only_a_possible_stop():
    assert list(until_stop(["ab", "c\n", "\nQu", "estion: x"], ["\n\nQuestion:"])) == ["ab", "c"]
    assert "".join(until_stop(["a", "<", "|im", "_end|>b"], ["<|im_end|>"])) == "a"
    assert list(until_stop(["one ", "two"], [])) == ["one ", "two"]


def test_shared_llm_gives_the_transformers_generator_for_that_backend(tmp_path):
    from summarizer.llm.shared import shared_llm

    s = Settings()
    s.backend.kind, s.backend.hf_model = "transformers", str(tmp_path / "my-model")
    llm = shared_llm(s)  # nothing is loaded until the first call
    assert isinstance(llm, HFGenerator) and llm.model_id == "hf:my-model" and shared_llm(s) is llm
    assert llm._loaded is None
