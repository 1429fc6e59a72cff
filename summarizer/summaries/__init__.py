"""summarizer/summaries."""
