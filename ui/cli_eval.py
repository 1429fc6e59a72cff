"""`brief eval`: the QA set, stored runs, the summaries eval and the faithfulness checker."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import argparse

from ui.cli_common import UserError, _print_json, _service, cli_settings, positive_int

def cmd_eval(args) -> int:
    from eval.runs import RunStore

    store = RunStore(args.runs_dir)
    if args.compare:
        from eval.qa.formatting import format_comparison

        try:
            a, b = store.load(args.compare[0]), store.load(args.compare[1])
        except FileNotFoundError as e:
            raise UserError(str(e)) from None
        c = store.compare(a, b)
        _print_json(c) if args.json else print(format_comparison(c))
        return 0
    if args.checker:
        return _eval_checker(args)
    if args.summaries:
        return _eval_summaries(args)
    from eval.qa.formatting import format_summary
    from eval.qa.loading import QAFileError
    from eval.qa.run import run_qa_eval
    from eval.runs import read_settings

    run_dir, resume = None, False
    if args.resume:
        try:
            run_dir, resume = store.resolve(args.resume), True
        except FileNotFoundError as e:
            raise UserError(str(e)) from None
        if not args.qa:
            args.qa = read_settings(run_dir).get("qa_file")
    if not args.qa:
        raise UserError("Say what to evaluate, e.g. brief eval --qa eval/datasets/dev.jsonl, brief eval --summaries, "
                        "or brief eval --checker")
    path = Path(args.qa)
    if not path.is_file():
        raise UserError(f"No QA file at {path}")
    if run_dir is None:
        run_dir = store.new_run_dir()
    try:
        result = run_qa_eval(_service(args), path, limit=args.limit, out=args.out, progress=not args.json,
                             use_checker=not args.no_checker, baselines=not args.no_baselines, run_dir=run_dir,
                             resume=resume, council_baseline=args.council_baseline)
    except QAFileError as e:
        raise UserError(str(e)) from None
    except ValueError as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        print(f"\nbrief: interrupted; finished questions are kept. Resume with: brief eval --qa {path} --resume {run_dir}",
              file=sys.stderr)
        return 130
    if args.json:
        _print_json(result)
    else:
        print(format_summary(result))
    return 0


def _eval_summaries(args) -> int:
    """`brief eval --summaries`: stored summaries against the gold file, their faithfulness, and report grades."""
    from eval.qa.faithfulness import default_checker
    from eval.runs import RunStore, write_json
    from eval.summaries_eval import format_summaries_eval, run_summaries_eval

    svc = _service(args)
    if not svc.store.exists():
        raise UserError(f"No index at {svc.index_dir}. Build it (brief ingest data/articles) and summarize it "
                        "(brief summarize --all) first.")
    checker = None if args.no_checker else default_checker(svc)
    r = run_summaries_eval(svc, checker=checker, limit=args.limit)
    store = RunStore(args.runs_dir)
    out_dir = store.new_run_dir("summaries")
    store.save(out_dir, r)
    if args.out:
        write_json(Path(args.out), r)
    return _print_stored(args, r, format_summaries_eval, out_dir)


def _print_stored(args, result: dict, fmt, out_dir: Path) -> int:
    """Print an evaluation result (JSON or text) and where it is stored."""
    if args.json:
        _print_json(result)
    else:
        print(fmt(result))
        print(f"  stored in {out_dir}")
    return 0


def _eval_checker(args) -> int:
    """`brief eval --checker`: the faithfulness checker against SummEdits news human labels."""
    from eval.checker.own_claims import OWN_CLAIMS
    from eval.checker.summedits import BenchmarkMissing, format_checker_result, run_checker_benchmark
    from eval.runs import RunStore
    from summarizer.checking.calibration import WEIGHTS_PATH
    from summarizer.checking.checker import ClaimChecker
    from summarizer.llm.shared import shared_llm

    # named now, written by the benchmark when it finishes (a missing benchmark leaves no empty run behind)
    out_dir = RunStore(args.runs_dir).new_run_dir("checker-smoke" if args.limit else "checker", create=False)
    checker = ClaimChecker(shared_llm(cli_settings(args)), cache=True)  # --backend openai: the servers
    try:
        r = run_checker_benchmark(checker, path=args.benchmark, limit=args.limit, out_dir=out_dir,
                                  progress=not args.json, fit_weights=WEIGHTS_PATH if args.fit_weights else None,
                                  own_claims=None if args.limit else OWN_CLAIMS)
    except BenchmarkMissing as e:
        raise UserError(str(e)) from None
    return _print_stored(args, r, format_checker_result, out_dir)


def add_eval_arguments(sp: argparse.ArgumentParser) -> None:
    """The options of `brief eval`."""
    sp.add_argument("--qa", help="QA file (.jsonl: id, question, answerable, docs, facts)")
    sp.add_argument("--checker", action="store_true",
                    help="measure the faithfulness checker on SummEdits news (leave-one-document-out, and split to split)")
    sp.add_argument("--fit-weights", action="store_true",
                    help="with --checker: refit the checker's calibration on all SummEdits pairs and write the shipped weights file")
    sp.add_argument("--summaries", action="store_true",
                    help="score the stored summaries (gold fields, faithfulness of each item) and report grades")
    sp.add_argument("--council-baseline", action="store_true",
                    help="with --qa: also answer each question with the council filter off (a second answer each)")
    sp.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), help="what improved and regressed from run A to run B")
    sp.add_argument("--resume", metavar="RUN", help="continue an interrupted --qa run (a run directory, or 'latest')")
    sp.add_argument("--limit", type=positive_int, help="only the first N questions (with --checker: N pairs per split)")
    sp.add_argument("--out", help="also write the result JSON to this file")
    sp.add_argument("--no-checker", action="store_true", help="skip the claim-level faithfulness checks (faster)")
    sp.add_argument("--no-baselines", action="store_true", help="skip the dense/BM25/extractive baselines")
    sp.add_argument("--runs-dir", help="where runs are stored (default eval/runs)")
    sp.add_argument("--benchmark", help="SummEdits news JSON (default ../shared/benchmarks/summedits/summedits_news.json)")
