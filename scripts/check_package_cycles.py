"""Report import cycles between the top-level packages of ``frontier_review`` (exit 1 if any).

``lint-imports`` keeps the layers; this script checks what the layers contract allows among the
areas (non-independent siblings): that no two packages import each other, even indirectly.
Usage: ``PYTHONPATH=src python scripts/check_package_cycles.py``.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import grimp

ROOT = "frontier_review"


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_edges(graph: grimp.ImportGraph) -> dict[tuple[str, str], list[str]]:
    """Imports between different top-level packages, with where each happens."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = _package(importer), _package(imported)
            if a != b and b.startswith(ROOT + "."):
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    edges[(a, b)].append(f"{importer}:{detail['line_number']} -> {imported}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph) | {b for _, b in edges}):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    edges = package_edges(grimp.build_graph(ROOT, cache_dir=None))
    found = cycles(edges)
    for component in found:
        print("cycle:", " <-> ".join(component))
        for a in component:
            for b in component:
                for where in edges.get((a, b), []):
                    print(f"    {where}")
    if not found:
        print("no cycles between frontier_review's packages")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
