"""The import graph, read from the source: no cycles, imports point downward, gradio only in ui/."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYER = {"retrieval": 0, "summarizer": 1, "eval": 2, "ui": 3}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYER:
        for p in (REPO / pkg).rglob("*.py"):
            parts = list(p.relative_to(REPO).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """module -> project modules it imports; module -> third-party top-level packages it imports."""
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    external: dict[str, set[str]] = defaultdict(set)
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` imports the submodule when there is one, else names from pkg itself
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module
                           for a in node.names]
            else:
                continue
            for t in targets:
                if t in mods and t != m:
                    graph[m].add(t)
                elif t.split(".")[0] not in LAYER:
                    external[m].add(t.split(".")[0])
    return graph, external


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
            if comp:
                out.append([v, *comp])

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(_graph()[0]) == []


def test_imports_point_downward():
    graph, _ = _graph()
    up = [(a, b) for a, bs in graph.items() for b in bs if LAYER[b.split(".")[0]] > LAYER[a.split(".")[0]]]
    assert up == []
    below_service = [a for a, bs in graph.items() if "summarizer.service" in bs and a.split(".")[0] in ("retrieval", "summarizer")]
    assert below_service == []


def test_only_ui_imports_gradio():
    _, external = _graph()
    assert sorted(m for m, pkgs in external.items() if "gradio" in pkgs and not m.startswith("ui")) == []
    assert any("gradio" in pkgs for m, pkgs in external.items() if m.startswith("ui.web"))  # the check sees imports


def test_the_cycle_finder_finds_cycles():
    assert sorted(map(sorted, _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}))) == [["a", "b", "c"]]
