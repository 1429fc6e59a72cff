"""Evaluation harness and benchmarks for brief."""
