"""The Evaluate tab without the model or a browser: stored runs listed and compared like the CLI, the result tables,
and the question sets it offers."""
from __future__ import annotations

import json

from tests.ui.test_web_views import make_runs, svc, write_qa  # noqa: F401 (svc is a fixture)


def test_stored_runs_are_listed_and_compared_like_the_cli(svc, tmp_path):
    from eval.qa.run import compare_runs, load_run
    from ui.web import build_app
    from ui.web.evaluate import list_runs, runs_frame
    from ui.web.views_eval import comparison_html

    root = tmp_path / "runs"
    a, b = make_runs(svc, root, write_qa(tmp_path / "qa.jsonl"))
    (root / "checker-20260103-000000").mkdir()  # a checker benchmark: not a QA run
    unfinished = root / "20260104-000000"
    unfinished.mkdir()
    (unfinished / "settings.json").write_text(json.dumps({"qa_file": "qa.jsonl", "model": "m"}))
    (unfinished / "items.jsonl").write_text((root / b / "items.jsonl").read_text().splitlines()[0] + "\n")
    runs = list_runs(root)
    assert [r["run"] for r in runs] == [unfinished.name, b, a]
    assert runs[0]["state"] == "unfinished (1 done)" and runs[1]["state"] == "finished"
    for r in runs[1:]:
        summary = json.loads((root / r["run"] / "result.json").read_text())["summary"]
        assert r["questions"] == summary["questions"] == 3
        assert r["key_facts_correct"] == summary["key_facts_correct"]
    assert runs[2]["model"] == "refuser" and runs[1]["model"] == "extractive"
    assert list(runs_frame(runs)["run"]) == [unfinished.name, b, a]

    c = compare_runs(load_run(root / a), load_run(root / b))
    page = comparison_html(c, a, b)
    moved = [m for m in c["metrics"] if m["change"] in ("improved", "regressed")]
    assert any(m["metric"] == "key_facts_correct" and m["change"] == "improved" for m in moved)
    for m in moved:
        assert f"<tr class='{m['change']}' data-metric='{m['metric']}'>" in page
    assert f'data-improved="{sum(m["change"] == "improved" for m in moved)}"' in page
    assert a in page and b in page
    build_app(svc, runs_dir=root)  # the app builds over these runs and summaries


def test_evaluate_tables_show_question_types_and_blind_groups():
    from ui.web.evaluate import result_tables

    group = {"questions": 2, "key_facts_correct": 0.5, "faithfulness": None}
    result = {"summary": {"questions": 2, "answerable": 2, "unanswerable": 0,
                          "by_type": {"why": group}, "by_blind": {"blind": group, "not_blind": group}},
              "items": [], "model": "m"}
    _, _, _, by_type, _ = result_tables(result, "run", "dev.jsonl")
    assert list(by_type["type"]) == ["why", "blind questions", "not blind questions"]
    assert list(by_type["faithfulness"]) == ["—"] * 3


def test_evaluate_tab_lists_only_question_sets_dev_first():
    """The datasets folder also holds gold findings and labelled claims; the QA picker offers only question sets."""
    from ui.web.evaluate import DATASETS_DIR, qa_files

    names = [name for name, _ in qa_files()]
    assert names[0] == "dev.jsonl"
    assert {"reports.jsonl", "grades_generated.jsonl"} <= set(names)
    assert not {"answer_claims.jsonl", "findings_gold.jsonl", "summaries_gold.jsonl"} & set(names)
    assert (DATASETS_DIR / "answer_claims.jsonl").is_file()  # present, and still left out
