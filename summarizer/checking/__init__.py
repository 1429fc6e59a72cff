"""The faithfulness checker, one for every front end: each claim judged by the local model against its best source
windows and the whole source, plus exact checks, combined by a logistic model learned on SummEdits."""
