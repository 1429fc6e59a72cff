"""What the tabs share: input parsing, constants, and turning a user's mistake into a Gradio error message."""
from __future__ import annotations

import functools
import inspect
import re

from retrieval.search import SearchFilters

ALL_COUNCILS = "All councils"
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MODEL_QUEUE = {"concurrency_limit": 1, "concurrency_id": "model"}  # one model request at a time, the others queue


class UserError(ValueError):
    """A problem with what the user asked for; the UI shows its message (as a gr.Error)."""


def parse_filters(council: str | None, date_from: str | None, date_to: str | None) -> SearchFilters | None:
    """Search filters from the council picker and the date boxes; UserError for a malformed date."""
    council = (council or "").strip()
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    for label, value in (("From", date_from), ("To", date_to)):
        if value and not DATE_RE.match(value):
            raise UserError(f"{label} date must look like 2015 or 2015-09 or 2015-09-01.")
    councils = [council] if council and council != ALL_COUNCILS else None
    if not (councils or date_from or date_to):
        return None
    return SearchFilters(councils=councils, date_from=date_from or None, date_to=date_to or None)


def shown_errors(fn):
    """Wrap a handler (plain or generator) so that a UserError reaches the page as a gr.Error message."""
    import gradio as gr

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except UserError as e:
                raise gr.Error(str(e)) from None
        return gen

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            raise gr.Error(str(e)) from None
    return call
