"""The Evaluate tab's HTML: two stored runs compared (improved and regressed metrics, changed questions)."""
from __future__ import annotations

from pathlib import Path

from ui.web.views import esc


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def comparison_html(c: dict, name_a: str = "A", name_b: str = "B") -> str:
    """``eval.qa.run.compare_runs`` output as HTML: improved and regressed metrics, and questions whose verdict changed."""
    def side(label: str, name: str, s: dict) -> str:
        return (f"<li><b>{label}</b>: <code>{esc(name)}</code> · {esc(s.get('model') or 'model not recorded')} · "
                f"commit <code>{esc(str(s.get('git_commit') or '—')[:10])}</code>"
                f"{' · ' + esc(Path(str(s['file'])).name) if s.get('file') else ''}"
                f"{' · <i>unfinished: scored on the questions it completed</i>' if s.get('unfinished') else ''}</li>")

    counts: dict[str, int] = {}
    for m in c["metrics"]:
        counts[m["change"]] = counts.get(m["change"], 0) + 1
    out = [f'<div class="eval-compare" data-improved="{counts.get("improved", 0)}" '
           f'data-regressed="{counts.get("regressed", 0)}"><ul class="runs">{side("A", name_a, c["a"])}'
           f'{side("B", name_b, c["b"])}</ul>']
    if not c.get("same_questions", True):
        out.append(f"<p class='warn'>The runs cover different questions ({len(c['only_a'])} only in A, "
                   f"{len(c['only_b'])} only in B), so their summary figures are not like for like.</p>")
    out.append(f"<p><b class='improved'>{counts.get('improved', 0)} improved</b> · "
               f"<b class='regressed'>{counts.get('regressed', 0)} regressed</b> · {counts.get('same', 0)} unchanged"
               + (f" · {counts.get('changed', 0)} counts changed" if counts.get("changed") else "")
               + (f" · {counts.get('new', 0) + counts.get('gone', 0)} only in one run"
                  if counts.get("new") or counts.get("gone") else "") + " (from A to B)</p>")
    order = {"regressed": 0, "improved": 1, "changed": 2, "new": 3, "gone": 4}
    arrow = {"improved": "▲ improved", "regressed": "▼ regressed", "changed": "changed", "new": "new in B",
             "gone": "only in A"}

    def metric_table(ms: list[dict]) -> str:
        return ("<table class='brief-table cmp-metrics'><tr><th>Metric</th><th>A</th><th>B</th><th>B − A</th>"
                "<th>From A to B</th></tr>" + "".join(
                    f"<tr class='{m['change']}' data-metric='{esc(m['metric'])}'><td>{esc(m['metric'])}</td>"
                    f"<td>{esc(_num(m['a']))}</td><td>{esc(_num(m['b']))}</td><td>{esc(_num(m['delta']))}</td>"
                    f"<td class='chg'>{esc(arrow.get(m['change'], m['change']))}</td></tr>" for m in ms) + "</table>")

    moved = sorted((m for m in c["metrics"] if m["change"] in ("regressed", "improved")),
                   key=lambda m: order[m["change"]])
    other = [m for m in c["metrics"] if m["change"] not in ("regressed", "improved", "same")]
    out.append(metric_table(moved) if moved else "<p>No metric improved or regressed.</p>")
    if other:
        out.append(f"<details><summary>Counts that changed and metrics only one run has ({len(other)})</summary>"
                   f"{metric_table(sorted(other, key=lambda m: order.get(m['change'], 5)))}</details>")
    if c.get("items"):
        out.append("<h4>Questions whose verdict changed</h4><table class='brief-table cmp-items'><tr><th>Question</th>"
                   "<th>What</th><th>Change</th><th>Answer in A</th><th>Answer in B</th></tr>" + "".join(
                       f"<tr class='{esc(i['change'])}'><td><code>{esc(i['id'])}</code> {esc(i['question'])}</td>"
                       f"<td>{esc(i['what'])}</td><td class='chg'>{esc(arrow.get(i['change'], i['change']))}</td>"
                       f"<td><small>{esc((i.get('a') or '')[:300])}</small></td>"
                       f"<td><small>{esc((i.get('b') or '')[:300])}</small></td></tr>" for i in c["items"]) + "</table>")
    return "".join(out) + "</div>"
