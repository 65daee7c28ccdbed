"""The project's import graph, read with ``ast`` from every module (imports inside functions too).

Nodes are the top-level packages, except that the edges (the ``htdr`` CLI and the Dagster
definitions) are one node of their own: they are where ``drills`` and ``compliance`` meet.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("contracts", "cdk_app", "drills", "compliance", "htdr", "benchmarks", "tests")
#: Modules (and everything below them) that form the edges.
EDGE_MODULES = ("htdr", "drills.defs", "drills.definitions")
EDGES = "<edges>"
#: Folders whose .py files are data (check fixtures, templates of installed tools), not modules.
SKIPPED_DIRS = {"fixtures", "checks_fixtures", "node_modules", "__pycache__"}

#: (from, to) pairs that must never appear, with the reason shown on failure.
FORBIDDEN = {
    **{("contracts", p): "contracts imports nothing of the project" for p in PACKAGES if p != "contracts"},
    **{("cdk_app", p): "cdk_app shares only contracts"
       for p in PACKAGES if p not in ("cdk_app", "contracts")},
    ("compliance", "drills"): "compliance never imports drills (wire them at the edges)",
    ("compliance", EDGES): "compliance never imports the edges",
    ("drills", "compliance"): "drills never imports compliance below the edges",
    ("drills", EDGES): "drills never imports the edges",
    ("benchmarks", "tests"): "benchmarks do not import tests: move the shared helper into a package",
}


@dataclass(frozen=True)
class Import:
    source: str  # module that imports
    target: str  # module imported
    line: int


def node_of(module: str) -> str | None:
    """The graph node of a dotted module name; None for a module outside the project."""
    if any(module == e or module.startswith(e + ".") for e in EDGE_MODULES):
        return EDGES
    top = module.split(".", 1)[0]
    return top if top in PACKAGES else None


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, packages: tuple[str, ...] = PACKAGES) -> Iterator[Import]:
    """Every import of every module under ``root``'s packages (relative imports resolved)."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if SKIPPED_DIRS & set(path.relative_to(root).parts):
                continue
            source = module_name(root, path)
            is_package = path.name == "__init__.py"
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield Import(source, alias.name, node.lineno)
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        anchor = source.split(".")
                        anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                        base = ".".join([*anchor, base] if base else anchor)
                    yield Import(source, base, node.lineno)


def violations(found: list[Import]) -> list[str]:
    out = []
    for imp in found:
        src, dst = node_of(imp.source), node_of(imp.target)
        if src is None or dst is None or src == dst:
            continue
        reason = FORBIDDEN.get((src, dst))
        if reason:
            out.append(f"{imp.source}:{imp.line} imports {imp.target}: {reason}")
    return out


def cycles(found: list[Import]) -> list[list[str]]:
    """Cycles between nodes (tests excluded: they may import anything)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        src, dst = node_of(imp.source), node_of(imp.target)
        if src and dst and src != dst and "tests" not in (src, dst):
            graph.setdefault(src, set()).add(dst)
    out: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                out.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return out
