"""KV-cache states of prompt prefixes kept between calls: the system text and one document's passages are read once
and restored for every later question about that document, instead of being read again (~80 tokens/s here)."""
from __future__ import annotations

import ctypes
from collections import OrderedDict

PREFIX_END = "\n\nQuestion: "  # prompts put this after their shared evidence; the state before it is kept


class PrefixStates:
    """An LRU of (prefix tokens -> llama.cpp sequence state), bounded in bytes."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity = capacity_bytes
        self._states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self.hits = 0

    @property
    def size(self) -> int:
        return sum(len(v) for v in self._states.values())

    def longest(self, tokens: list[int]) -> tuple[tuple[int, ...], bytes] | None:
        """The longest stored prefix of tokens, with its state (most recently used afterwards)."""
        best = None
        for key in self._states:
            if len(key) <= len(tokens) and (best is None or len(key) > len(best)) and tuple(tokens[: len(key)]) == key:
                best = key
        if best is None:
            return None
        self._states.move_to_end(best)
        self.hits += 1
        return best, self._states[best]

    def put(self, key: tuple[int, ...], state: bytes) -> None:
        if len(state) > self.capacity:
            return
        self._states[key] = state
        self._states.move_to_end(key)
        while self.size > self.capacity:
            self._states.popitem(last=False)

    def __contains__(self, key: tuple[int, ...]) -> bool:
        return key in self._states


def save_sequence(llm) -> bytes:
    """The KV state of sequence 0 of a llama_cpp.Llama."""
    import llama_cpp

    ctx = llm._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buf = (ctypes.c_uint8 * size)()
    llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
    return bytes(buf)


def restore_sequence(llm, key: tuple[int, ...], state: bytes) -> bool:
    """Replace the context's sequence 0 with a saved state of the prefix key; False when llama.cpp refuses it."""
    import llama_cpp

    llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    buf = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if not llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(state), 0):
        llm.n_tokens = 0
        return False
    llm.input_ids[: len(key)] = key
    llm.n_tokens = len(key)
    return True
