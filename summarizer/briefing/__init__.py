"""summarizer/briefing."""
