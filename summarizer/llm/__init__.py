"""summarizer/llm."""
