"""eval/checker."""
