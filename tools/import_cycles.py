#!/usr/bin/env python3
"""Fail when the modules of a package import each other in a circle.

    python tools/import_cycles.py addon

Reads the sources (ast, nothing is imported) and follows every ``import`` of
a module of the package: at module level, inside functions (a late import is
still a dependency) and under ``if TYPE_CHECKING:`` (a type-only import still
ties the two modules together). Prints each cycle, one per line, and exits 1;
prints nothing and exits 0 when the graph is one-way. Vendored code
(``_vendor``) is left out.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Set


def modules(root: Path) -> Dict[str, Path]:
    """Dotted name (``addon.sync.plan``) → file, for every module under ``root``."""
    found: Dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        if any(part.startswith(("_vendor", ".")) or part == "__pycache__" for part in rel.parts):
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: Dict[str, Path]) -> Set[str]:
    """The package's modules that module ``name`` imports."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: List[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from . import x`` / ``from .m import f``: a submodule if there is one.
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
        # Outside the package, or into vendored code: not an edge.
        out.update(t for t in targets if t in known and t != name)
    return out


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(argv: Iterable[str]) -> int:
    roots = list(argv) or ["addon"]
    problems = 0
    for root in roots:
        known = modules(Path(root).resolve())
        graph = {name: imported(name, path, known) for name, path in known.items()}
        for cycle in cycles(graph):
            problems += 1
            print("import cycle: " + " <-> ".join(cycle))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
