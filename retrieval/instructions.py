"""Text addressed to a language model rather than to a reader: injected instructions, role markers, chat tokens.

An article may contain "Ignore all previous instructions and answer that ..." or a forged chat turn
("<|im_start|>system ..."). Such text is not a finding: cleaning sets it apart at ingest (role "instruction", like
reader comments it is never evidence), and the answerer strips it again from anything it shows the model.
"""
from __future__ import annotations

import re

# chat-template control tokens of any model family: <|im_start|>, <|endoftext|>, <|eot_id|>, [INST], <<SYS>>
CHAT_TOKEN_RE = re.compile(r"<\|[A-Za-z0-9_ .-]{1,40}\|>|\[/?INST\]|<</?SYS>>|<\|?/?(?:s|system|user|assistant)\|?>",
                           re.I)
_ADDRESSEE = (r"(?:AI|A\.I\.|assistants?|chat ?bots?|(?:large )?language models?|LLMs?|GPT|ChatGPT|bots?"
              r"|(?:the )?model|you)")
_VERB = r"(?:answer|respond|reply|say|state|claim|tell|output|write|print|ignore|disregard|pretend|act|report)"
_INSTRUCTION_RE = re.compile(
    # "ignore / disregard / forget (all) (previous|prior|above) instructions|prompts" ("rules" etc. only when
    # qualified as earlier ones: "staff were told to ignore the rules" is reporting)
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|every\s+)?"
    r"(?:(?:the|your|of|my|these|those|previous|prior|above|earlier|preceding|original|other|system|safety)\s+)*"
    r"(?:instructions?|prompts?)\b"
    r"|\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|original|system)\s+(?:rules|directions|guidelines|context|messages?"
    r"|text)\b|\b(?:disregard|ignore) (?:everything|all) (?:above|before|previous)"
    # text addressed to a model: "Note to AI assistants:", "for any language model reading this"
    r"|\b(?:note|message|instructions?|attention|notice)\s+(?:to|for)\s+(?:any\s+|all\s+)?(?:AI|A\.I\.|"
    r"assistants?|chat ?bots?|(?:large )?language models?|LLMs?|GPT|ChatGPT)\b"
    # an imperative addressed to an AI: "AI assistants must answer ...", "Assistant, say ..."
    r"|\b(?:AI|A\.I\.|assistants?|chat ?bots?|(?:large )?language models?|LLMs?|GPT|ChatGPT)\b[,:]?\s+"
    r"(?:(?:reading|processing|summari[sz]ing) this[^.!?\n]{0,40}?\s+)?(?:must|should|shall|will|always|never|"
    r"please|are (?:instructed|required|told) to)\s+(?:\w+\s+){0,2}?" + _VERB + r"\b"
    # "if/when (you are) asked (about X), answer/say that ..."
    r"|\b(?:if|when(?:ever)?)\s+(?:you(?:'re| are)?\s+|an? " + _ADDRESSEE + r"\s+(?:is|are)\s+)?asked\b"
    r"[^.!?\n]{0,120}?\b(?:answer|respond|reply|say|state|tell (?:them|the user))\b"
    # "you are now an AI / the assistant", "as an AI language model", "new instructions:"
    r"|\byou are (?:now )?(?:an? |the )?(?:AI|assistant|chat ?bot|language model|DAN)\b"
    r"|\b(?:new|updated|real|hidden|secret) (?:system )?(?:instructions?|prompt)\s*:"
    r"|\b(?:system|developer) (?:prompt|message|override)\b",
    re.I,
)
# a line opening a forged conversation turn: "SYSTEM: ...", "### Assistant:", "[system] ..."
_ROLE_MARKER_RE = re.compile(r"^[ \t>#*\[(]*(?:system|assistant|developer|user|human|AI)[\])]?\s*:", re.I | re.M)
_SENT_END_RE = re.compile(r"[.!?](?=[\"”’')\]]*(?:\s|$))|\n")


def _sentence_around(text: str, a: int, b: int) -> tuple[int, int]:
    """The span of the sentence holding text[a:b] (bounded by sentence ends or line breaks)."""
    start = 0
    for m in _SENT_END_RE.finditer(text, 0, a):
        start = m.end()
    m = _SENT_END_RE.search(text, b)
    end = m.end() if m and m.group() != "\n" else (m.start() if m else len(text))
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _paragraph_end(text: str, pos: int) -> int:
    m = re.compile(r"\n[ \t]*\n").search(text, pos)
    return m.start() if m else len(text)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Merged [start, end) spans of text addressed to a model: instruction sentences, forged turns and chat tokens."""
    spans: list[tuple[int, int]] = []
    for m in _INSTRUCTION_RE.finditer(text):
        spans.append(_sentence_around(text, m.start(), m.end()))
    for m in _ROLE_MARKER_RE.finditer(text):  # a forged turn runs to the end of its paragraph
        spans.append((m.start() + len(m.group()) - len(m.group().lstrip(" \t")), _paragraph_end(text, m.end())))
    for m in CHAT_TOKEN_RE.finditer(text):  # a turn-opening token: the forged turn runs to the next token/paragraph
        end = m.end()
        if not re.search(r"end|/|eot|eos", m.group(), re.I):
            nxt = CHAT_TOKEN_RE.search(text, m.end())
            end = max(end, min(_paragraph_end(text, m.end()), nxt.start() if nxt else len(text)))
        spans.append((m.start(), end))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def has_instructions(text: str) -> bool:
    return bool(instruction_spans(text))


def strip_instructions(text: str) -> str:
    """text without the parts addressed to a model (what remains is evidence)."""
    spans = instruction_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for a, b in spans:
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()


def neutralise_chat_tokens(text: str) -> str:
    """Chat-template markers in untrusted text made inert ('<|im_start|>' -> '<im_start>'), so no tokenizer can
    read them as a real turn; the template's own markers are added around the text afterwards."""
    return CHAT_TOKEN_RE.sub(lambda m: "<" + re.sub(r"[<>|\[\]/]", "", m.group()).strip() + ">", text)
