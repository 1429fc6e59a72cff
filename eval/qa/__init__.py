"""The QA eval: loading (QA files), metrics (pure scoring), faithfulness (claim checks), compare, formatting,
report, protocols (what it needs from the service) and run (run_qa_eval). Stored runs: eval/runs.py (RunStore)."""
