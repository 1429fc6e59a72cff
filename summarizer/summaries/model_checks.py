"""Checks of what the model states besides items: the people it names and the judgements it reports. Each must rest
on a sentence of the text; what fails is recorded in the summary's ``dropped`` list, never kept."""
from __future__ import annotations

import re

from retrieval.ofsted import GRADE_EVIDENCE

from summarizer.summaries.evidence import DocText, ground, locate, named_in_text, span
from summarizer.summaries.schema import GRADES, ArticleSummary, CouncilEntry, DroppedItem, Person
from summarizer.support import name_in


def _person_reason(name: str, quote: str, dt: DocText) -> tuple[list, str | None]:
    """The person's evidence and why it fails (None when it holds): the name must be in or near the sentence."""
    ev, reason = ground(f"{name}", quote or name, dt, extra_names=[name], min_support=0.0)
    if reason is None and not ev:
        reason = "no evidence"
    if reason is None:
        # the person must be named in the evidence sentence; else their sentence is found by name
        last = name.split()[-1]
        if last.lower() not in dt.text[ev[0].start:ev[0].end].lower():
            found, _ = locate(name, dt)
            if found is None:
                reason = f"{name} is not named near the quoted sentence"
            else:
                ev = [span(dt, *found)]
    return ev, reason


def checked_person(raw: dict, dt: DocText, council: str, rec: ArticleSummary) -> Person | None:
    """The person the model named, with evidence; None (recorded as dropped) when the text does not name them."""
    name = str(raw.get("name", "")).strip()
    role = str(raw.get("role", "")).strip() or None
    org = str(raw.get("organisation", "")).strip() or None
    quote = str(raw.get("quote", "")).strip()
    if not name:
        return None
    ev, reason = _person_reason(name, quote, dt)
    if reason is None and org:
        missing = [n for n in named_in_text(org) if not name_in(n, dt.body)]
        if missing:
            org = None  # an invented organisation is removed, the person is kept
    if reason is not None:
        rec.dropped.append(DroppedItem(council=council, field="people", text=name, quote=quote, reason=reason))
        return None
    return Person(name=name, role=role, organisation=org, evidence=ev)


def model_judgements(data: dict, dt: DocText, entry: CouncilEntry, rec: ArticleSummary, council: str) -> None:
    """Set the entry's judgement and previous judgement from the model's answer when its quote says the grade."""
    for fld, qfld, target in (("judgement", "judgement_quote", "judgement"),
                              ("previous_judgement", "previous_quote", "previous_judgement")):
        grade = data.get(fld)
        if not grade or grade not in GRADES or getattr(entry, target):
            continue
        quote = str(data.get(qfld) or "")
        found, how = locate(quote, dt, hint=grade)
        reason = None
        if found is None:
            reason = how
        else:
            ev_text = dt.text[found[0]:found[1]]
            if not re.search(GRADE_EVIDENCE[grade], ev_text, re.I):
                reason = f"the quoted sentence does not say {grade!r}"
        if reason:
            rec.dropped.append(DroppedItem(council=council, field=target, text=grade, quote=quote, reason=reason))
            continue
        setattr(entry, target, grade)
        setattr(entry, "judgement_evidence" if target == "judgement" else "previous_evidence",
                [span(dt, *found)])
    if entry.judgement and entry.previous_judgement == entry.judgement and \
            entry.previous_evidence == entry.judgement_evidence:
        entry.previous_judgement, entry.previous_evidence = None, []
