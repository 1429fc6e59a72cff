"""The checker's yes/no prompt. The source and the question come first and the claim last, so every claim about one
source (or window) reuses the KV cache of everything before it and costs only its own few tokens."""
from __future__ import annotations

from retrieval.instructions import neutralise_chat_tokens

CHECK_SYSTEM = "You check whether a claim is supported by a source text. Judge only from the source."
CHECK_QUESTION = "Is every part of the claim below supported by the source? Answer yes or no."


def check_prompt(claim: str, source: str) -> str:
    """Yes/no: is every part of claim supported by source?"""
    return (f"<|im_start|>system\n{CHECK_SYSTEM}<|im_end|>\n<|im_start|>user\n"
            f"Source:\n{neutralise_chat_tokens(source.strip())}\n\n{CHECK_QUESTION}\n"
            f"Claim: {neutralise_chat_tokens(claim.strip())}<|im_end|>\n<|im_start|>assistant\n")
