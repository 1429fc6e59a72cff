"""summarizer/answer."""
