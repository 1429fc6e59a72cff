"""Shared fixtures: paths to the real data, and one real index of the bundled articles per session."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ARTICLES = REPO / "data" / "articles"
OFSTED = SHARED / "corpus" / "ofsted"

DARLINGTON = "003_e2e4cb79d3b36c14"
TAMESIDE = "004_2c1e0e36ce9310c1"
WORCESTERSHIRE = "002_e7243b81054e7da4"
TORBAY_2015 = "000_bb9f36d098299eb9"
TORBAY_2019 = "001_c76fbb4aff01f110"


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the real corpus lives in ../shared beside the checkout)")
    return path


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """A real index (real embedder) of data/articles, built once per test session."""
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    root = tmp_path_factory.mktemp("index") / "idx"
    svc = BriefService(Settings.from_env(root))
    report = svc.ingest([ARTICLES])
    assert len(report.added) == 5, report
    return root


@pytest.fixture()
def index_copy(built_index, tmp_path) -> Path:
    """A private copy of the real index that a test may change."""
    dst = tmp_path / "idx"
    shutil.copytree(built_index, dst)
    return dst


@pytest.fixture(scope="session")
def service(built_index):
    """The service over the real index, with the real model (loaded lazily on first ask)."""
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    return BriefService(Settings.from_env(built_index))


# Four small Ofsted reports with published grades (grades.csv): two inspections each of Darlington and Tameside.
RECORD_REPORTS = ("80458_darlington_2022-12-02", "80458_darlington_2026-03-24", "80569_tameside_2019-07-01",
                  "80569_tameside_2024-02-13")


@pytest.fixture(scope="session")
def reports_index(built_index, tmp_path_factory) -> Path:
    """The bundled articles' index plus RECORD_REPORTS (read from ../shared, written to a tmp jsonl, never copied
    into the repository); built once per session."""
    import json

    from summarizer.service import BriefService
    from summarizer.settings import Settings

    src = need_shared(OFSTED / "reports.jsonl")
    tmp = tmp_path_factory.mktemp("reports")
    subset = tmp / "reports.jsonl"
    with src.open(encoding="utf-8") as f, subset.open("w", encoding="utf-8") as out:
        out.writelines(line for line in f if json.loads(line)["id"] in RECORD_REPORTS)
    root = tmp / "idx"
    shutil.copytree(built_index, root)
    report = BriefService(Settings.from_env(root)).ingest([subset])
    assert len(report.added) == len(RECORD_REPORTS), report
    return root
