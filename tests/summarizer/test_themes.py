"""Themes from classified findings (summarizer/briefing/themes.py): shared words and phrases, not a keyword list."""
from __future__ import annotations

from summarizer.briefing.themes import Finding, first_per_group, themes

FINDINGS = [
    Finding("Northshire", "High caseloads in the assessment teams."),
    Finding("Northshire", "Management oversight of plans is weak."),
    Finding("Westvale", "High caseloads mean children are not visited often enough."),
    Finding("Westvale", "Return home interviews for missing children are late."),
    Finding("Eastport", "Management oversight does not ensure that plans progress."),
    Finding("Eastport", "Staff have high caseloads despite recruitment."),
    Finding("Eastport", "Return home interviews are not offered to all children."),
]


def test_themes_are_what_two_or_more_groups_share_most_groups_first():
    found = themes(FINDINGS)
    labels = [t.label for t in found]
    assert labels[0] == "high caseloads"
    assert found[0].groups == ["Eastport", "Northshire", "Westvale"]
    assert "management oversight" in labels
    assert {"return home", "home interviews"} & set(labels)
    assert not any(t.label in ("children", "plans") for t in found)  # the domain's words / a word in many findings
    assert all(len(t.groups) >= 2 for t in found)


def test_one_citation_per_group():
    t = themes(FINDINGS)[0]
    cited = first_per_group(t)
    assert [f.group for f in cited] == t.groups
    assert cited[0].text.startswith("Staff have high caseloads")


def test_a_theme_of_one_group_is_not_recurring():
    assert themes([Finding("A", "High caseloads here."), Finding("A", "High caseloads again.")]) == []
