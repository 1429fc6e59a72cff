"""JSON objects out of model text: the first object in a reply, or the complete items of one cut off mid-way."""
from __future__ import annotations

import json
import re

from summarizer.llm.errors import BackendError


def _close_truncated(text: str) -> dict | None:
    """The longest prefix of a cut-off or slightly broken JSON object that parses once its open strings, arrays and
    objects are closed (a model without constrained decoding runs out of tokens or slips late in a long object).
    Whole items only: the prefix ends just before a comma or after a closing bracket."""
    cuts = [i for i, ch in enumerate(text) if ch in ",}]"]
    for cut in reversed(cuts):
        head = text[:cut] if text[cut] == "," else text[: cut + 1]
        stack, in_str, esc = [], False, False
        for ch in head:
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch in "{[":
                stack.append("}" if ch == "{" else "]")
            elif ch in "}]" and stack:
                stack.pop()
        if in_str:
            continue
        try:
            out = json.loads(head + "".join(reversed(stack)))
        except ValueError:
            continue
        if isinstance(out, dict):
            return out
    return None


def parse_json(text: str) -> dict:
    """The first JSON object in text (models without constrained decoding may wrap it in prose or fences, or stop
    mid-object: then the complete items before the break are kept)."""
    text = text.strip()
    try:
        out = json.loads(text)
    except ValueError:
        start = text.find("{")
        if start < 0:
            raise BackendError(f"the model returned no JSON object: {text[:200]!r}") from None
        m = re.search(r"\{.*\}", text, re.S)
        try:
            out = json.loads(m.group(0)) if m else None
        except ValueError:
            out = None
        if out is None:
            out = _close_truncated(text[start:])
        if out is None:
            raise BackendError(f"the model returned invalid JSON: {text[:200]!r}") from None
    if not isinstance(out, dict):
        raise BackendError(f"the model returned {type(out).__name__}, not a JSON object")
    return out
