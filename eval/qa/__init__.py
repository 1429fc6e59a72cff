"""eval/qa."""
