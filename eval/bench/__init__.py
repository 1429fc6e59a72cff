"""eval/bench."""
