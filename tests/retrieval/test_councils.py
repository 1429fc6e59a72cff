"""Tests for retrieval.councils and its local authorities data file."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from retrieval.councils import DATA_FILE, all_councils, canonical_council, council_region, find_councils

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"
REPORTS = CORPUS / "ofsted" / "reports.jsonl"
SEEDS = CORPUS / "seeds"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

REGIONS = {"North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
           "East of England", "London", "South East", "South West"}


def names(text: str) -> list[str]:
    return [name for name, _, _ in find_councils(text)]


def test_data_file_covers_all_upper_tier_authorities():
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"name", "slug", "region", "aliases"} <= set(rows[0])
    current = [r for r in rows if r.get("status", "current") == "current"]
    assert len(current) == 153
    assert len({r["name"] for r in rows}) == len(rows)
    assert len({r["slug"] for r in rows}) == len(rows)
    for r in rows:
        assert re.fullmatch(r"[a-z_]+", r["slug"]), r["slug"]
        assert r["region"] in REGIONS, r
    london = [r for r in current if r["region"] == "London"]
    assert len(london) == 33
    every = set(all_councils())
    for must in ("Tameside", "City of London", "Isles of Scilly", "North Northamptonshire", "West Northamptonshire",
                 "Cumberland", "Westmorland and Furness", "North Yorkshire", "Somerset", "Buckinghamshire", "Dorset",
                 "Bournemouth, Christchurch and Poole", "Northamptonshire", "Cumbria", "Kingston upon Hull",
                 "Bristol", "St Helens", "Telford and Wrekin"):
        assert must in every, must
    assert council_region("north_tyneside") == "North East"


@needs_corpus
def test_every_local_authority_in_reports_maps_to_a_row():
    with REPORTS.open(encoding="utf-8") as f:
        las = {json.loads(line)["local_authority"] for line in f}
    unmapped = sorted(la for la in las if canonical_council(la) is None)
    assert unmapped == []
    assert canonical_council("bournemouth, christchurch & poole") == "Bournemouth, Christchurch and Poole"
    assert canonical_council("london corporation") == "City of London"
    assert canonical_council("telford & wrekin") == "Telford and Wrekin"
    assert canonical_council("windsor & maidenhead") == "Windsor and Maidenhead"
    assert canonical_council("southend-on-sea") == "Southend-on-Sea"
    assert canonical_council("durham") == "Durham"
    assert len({canonical_council(la) for la in las}) == len(las)


def test_canonical_council_variants():
    assert canonical_council("north_tyneside") == "North Tyneside"
    assert canonical_council("Tameside MBC") == "Tameside"
    assert canonical_council("Tameside Metropolitan Borough Council") == "Tameside"
    assert canonical_council("tameside council") == "Tameside"
    assert canonical_council("St. Helens") == "St Helens"
    assert canonical_council("Hull") == "Kingston upon Hull"
    assert canonical_council("City of Bristol") == "Bristol"
    assert canonical_council("London Borough of Redbridge") == "Redbridge"
    assert canonical_council("Narnia") is None
    assert canonical_council("") is None


@needs_corpus
def test_seed_004_councils_in_order():
    (path,) = SEEDS.glob("004_*.txt")
    found = names(path.read_text(encoding="utf-8"))
    assert list(dict.fromkeys(found)) == ["Tameside", "North Tyneside", "Redbridge"]


def test_longest_match_wins():
    text = "North Tyneside, North East Lincolnshire and Bath and North East Somerset were inspected."
    assert names(text) == ["North Tyneside", "North East Lincolnshire", "Bath and North East Somerset"]
    found = find_councils("Staff in Cheshire West and Chester and Stoke-on-Trent.")
    assert [(n, s, e) for n, s, e in found] == [("Cheshire West and Chester", 9, 34), ("Stoke-on-Trent", 39, 53)]


def test_spans_and_case_rules():
    text = "Inspectors praised tameside council and Bournemouth, Christchurch & Poole."
    found = find_councils(text)
    assert [(n, text[s:e]) for n, s, e in found] == [
        ("Tameside", "tameside council"),
        ("Bournemouth, Christchurch and Poole", "Bournemouth, Christchurch & Poole"),
    ]


def test_ambiguous_english_words_need_a_capital():
    assert names("After reading the report, staff had to bury the plan in a hull of paperwork.") == []
    assert names("Reading the report, the director of Bury council said it was fair.") == ["Bury"]
    assert names("Ofsted judged Reading Borough Council good; in Sutton and Hull it was inadequate.") == [
        "Reading", "Sutton", "Kingston upon Hull"]


def test_names_inside_other_proper_nouns_are_skipped():
    text = ("A joint statement by Torbay Council, Devon and Cornwall Police and the new Greater Manchester "
            "combined authority was published; Jane Sutton spoke for New York.")
    assert names(text) == ["Torbay"]
    assert names("The Newcastle-under-Lyme office is not in Newcastle.") == ["Newcastle upon Tyne"]
