"""RunStore (eval/runs.py): listing, naming, resolving, loading, saving and comparing stored runs of every kind;
and the eval/ layering rules (no cycle between eval.qa modules, no ui import, no private cross-package import)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from eval.runs import RunStore, read_items, write_json, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _qa_run(root: Path, name: str, *, items: int, finished: bool, **settings) -> Path:
    d = root / name
    d.mkdir(parents=True)
    recs = [{"id": f"q{i}", "question": "Q?", "type": "single", "answerable": False, "status": "not_in_articles",
             "answer": "The articles don't say.", "refusal_correct": True, "citations_valid": [],
             "sentences_dropped": 0, "sentences_kept": 0, "timings": {}, "prompt_tokens": 0, "recall@5": None}
            for i in range(items)]
    write_json(d / "settings.json", {"qa_file": "eval/datasets/dev.jsonl", "model": "m1", "git_commit": "abcdef1234567",
                                     "git_dirty": True, "started": "2026-01-01 10:00:00", **settings})
    write_jsonl(d / "items.jsonl", recs)
    if finished:
        from eval.qa.metrics import summarise

        write_json(d / "result.json", {"file": "eval/datasets/dev.jsonl", "summary": summarise(recs), "items": recs,
                                       "model": "m1", "date": "2026-01-01 10:05", "git_commit": "abcdef1234567"})
    return d


def test_list_shows_every_kind_newest_first(tmp_path):
    _qa_run(tmp_path, "20260101-100000", items=2, finished=True)
    _qa_run(tmp_path, "20260102-100000", items=1, finished=False)
    (tmp_path / "summaries-20260103-100000").mkdir()
    write_json(tmp_path / "summaries-20260103-100000" / "result.json", {"summaries": 0})
    (tmp_path / "checker-20260104-100000").mkdir()  # still being written: no checker_result.json yet
    (tmp_path / "checkersmoke-20260105-100000").mkdir()
    write_json(tmp_path / "checkersmoke-20260105-100000" / "checker_result.json",
               {"model": "judge", "date": "2026-01-05 10:00 UTC"})
    (tmp_path / "20260106-100000").mkdir()
    (tmp_path / "20260106-100000" / "settings.json").write_text("{not json")
    (tmp_path / "notes").mkdir()  # not a run
    runs = RunStore(tmp_path).list()
    assert [(r.name, r.kind) for r in runs] == [("20260106-100000", "qa"), ("checkersmoke-20260105-100000", "checker-smoke"),
                                                ("summaries-20260103-100000", "summaries"), ("20260102-100000", "qa"),
                                                ("20260101-100000", "qa")]
    bad, smoke, summ, unfinished, done = runs
    assert bad.state == "unreadable"
    assert smoke.finished and smoke.model == "judge" and smoke.created == "2026-01-05 10:00 UTC"
    assert summ.finished and summ.summary == {}
    assert unfinished.state == "unfinished (1 done)" and unfinished.n_items == 1 and unfinished.summary == {}
    assert done.state == "finished" and done.n_items == 2 and done.summary["questions"] == 2
    assert done.qa_file == "eval/datasets/dev.jsonl" and done.created == "2026-01-01 10:00:00"
    assert done.model == "m1" and done.commit == "abcdef1234+dirty" and done.path == tmp_path / "20260101-100000"
    assert [r.name for r in RunStore(tmp_path).list(kind="qa")] == ["20260106-100000", "20260102-100000", "20260101-100000"]
    assert RunStore(tmp_path / "missing").list() == []


def test_new_run_dir_names_by_kind_and_never_reuses_a_name(tmp_path):
    store = RunStore(tmp_path)
    a, b = store.new_run_dir(), store.new_run_dir()
    assert a.is_dir() and b.is_dir() and a != b and b.name.startswith(a.name)
    s = store.new_run_dir("summaries")
    assert s.name.startswith("summaries-2") and s.is_dir()
    c = store.new_run_dir("checker-smoke", create=False)
    assert c.name.startswith("checkersmoke-2") and not c.exists()
    assert store.new_run_dir("checker", create=False).name.startswith("checker-2")


def test_resolve_load_and_save(tmp_path):
    store = RunStore(tmp_path)
    _qa_run(tmp_path, "20260101-100000", items=2, finished=True)
    late = _qa_run(tmp_path, "20260102-100000", items=1, finished=False)
    assert store.resolve("latest") == late
    assert store.resolve("20260101-100000") == tmp_path / "20260101-100000"
    assert store.resolve(late) == late
    with pytest.raises(FileNotFoundError):
        store.resolve("nope")
    with pytest.raises(FileNotFoundError):
        RunStore(tmp_path / "empty").resolve("latest")
    r = store.load("latest")
    assert r["unfinished"] and r["summary"]["questions"] == 1 and r["model"] == "m1" and r["run_dir"] == str(late)
    assert store.load("20260101-100000")["summary"]["questions"] == 2
    out = store.save(late, {"x": "é"})
    assert out == late / "result.json" and json.loads(out.read_text(encoding="utf-8")) == {"x": "é"}
    assert not list(late.glob("*.tmp"))
    assert "unfinished" not in store.load(late)


def test_compare_takes_results_or_names(tmp_path):
    from eval.qa.run import compare_runs, load_run

    store = RunStore(tmp_path)
    a = _qa_run(tmp_path, "20260101-100000", items=2, finished=True)
    b = _qa_run(tmp_path, "20260102-100000", items=3, finished=True)
    by_name = store.compare("20260101-100000", "20260102-100000")
    assert by_name == store.compare(store.load(a), store.load(b)) == compare_runs(load_run(a), load_run(b))
    assert by_name["only_b"] == ["q2"] and not by_name["same_questions"]
    assert {m["metric"]: m["change"] for m in by_name["metrics"]}["questions"] == "changed"


def test_read_items_stops_at_a_cut_line(tmp_path):
    p = tmp_path / "items.jsonl"
    p.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "qu')
    assert [r["id"] for r in read_items(p)] == ["a", "b"]
    assert read_items(tmp_path / "none.jsonl") == []


# --- layering --------------------------------------------------------------------------------------------------------

def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import statement in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_eval_never_imports_ui_nor_private_names_of_other_packages():
    for pkg in ("retrieval", "summarizer", "eval", "ui"):
        for path in sorted((REPO / pkg).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            for module, names in _imports(path):
                if pkg == "eval":
                    assert module.split(".")[0] != "ui", f"{rel} imports {module}"
                if module.split(".")[0] not in ("retrieval", "summarizer", "eval", "ui") or module.split(".")[0] == pkg:
                    continue
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                assert not private, f"{rel} imports private {private} from {module}"


def test_qa_modules_form_no_cycle():
    """eval.qa.run imports its parts; none of them (nor eval.runs) imports eval.qa.run back."""
    parts = ["eval/runs.py", *[f"eval/qa/{m}.py" for m in ("loading", "metrics", "groups", "compare", "formatting",
                                                         "report", "faithfulness", "protocols")]]
    for rel in parts:
        mods = {m for m, _ in _imports(REPO / rel)}
        assert "eval.qa.run" not in mods, rel
    import importlib

    for mod in ("eval.qa.report", "eval.runs", "eval.qa.formatting"):
        importlib.import_module(mod)


def test_the_service_offers_what_the_eval_needs():
    """BriefService has every member of the QAService protocol, and its retriever the baseline retrievers."""
    from eval.qa.protocols import BaselineRetriever, QAService
    from retrieval.search import HybridRetriever
    from summarizer.service import BriefService

    for name in ("llm", "retriever", "search", "ask", "documents"):
        assert name in QAService.__dict__ or name in QAService.__annotations__, name
        assert hasattr(BriefService, name), name
    assert "settings" in QAService.__annotations__
    for name in ("dense_only", "bm25_only"):
        assert name in BaselineRetriever.__dict__ and callable(getattr(HybridRetriever, name))


def test_old_eval_qa_run_names_still_import():
    """The web UI and older callers import these from eval.qa.run."""
    from eval.qa import run

    for name in ("load_qa", "new_run_dir", "run_qa_eval", "compare_runs", "load_run", "RUNS_DIR", "resolve_run",
                 "QAFileError", "format_summary", "format_comparison", "default_checker", "KS", "HEADLINE"):
        assert hasattr(run, name), name
