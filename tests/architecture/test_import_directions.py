"""Imports point one way (DESIGN §2): contracts ← everything; the edges wire drills and compliance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.import_graph import EDGES, cycles, imports, node_of, violations

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project_imports() -> list:
    return list(imports(ROOT))


def test_no_forbidden_direction(project_imports: list) -> None:
    assert violations(project_imports) == []


def test_no_cycle_between_top_level_packages(project_imports: list) -> None:
    assert cycles(project_imports) == []


def test_nothing_below_the_cli_imports_it(project_imports: list) -> None:
    """``htdr`` is the composition root: no project package imports it (the Dagster definitions, the
    other edge, included), so drills and htdr form no package cycle. Tests may drive it."""
    into_cli = [f"{i.source}:{i.line} imports {i.target}" for i in project_imports
                if i.target.split(".", 1)[0] == "htdr" and i.source.split(".", 1)[0] not in ("htdr", "tests")]
    assert into_cli == []


def test_the_walk_sees_the_edges_wiring_both_sides(project_imports: list) -> None:
    """The walk reads real imports: the CLI edge imports both drills and compliance."""
    edge_targets = {node_of(i.target) for i in project_imports if node_of(i.source) == EDGES}
    assert {"drills", "compliance", "contracts"} <= edge_targets


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_cycle_and_forbidden_imports_are_found(tmp_path: Path) -> None:
    """The checks fail on a tree that breaks them: lazy, relative and absolute imports all count."""
    root = _tree(tmp_path, {
        "contracts/__init__.py": "",
        "contracts/names.py": "from drills import runner\n",
        "drills/__init__.py": "",
        "drills/drill_runner.py": "def f():\n    from compliance.report import build\n",
        "drills/defs/assets.py": "from compliance.report import build\n",
        "compliance/__init__.py": "",
        "compliance/report/build.py": "from ...drills import runner\n",
    })
    found = list(imports(root, ("contracts", "drills", "compliance")))
    bad = violations(found)
    assert any(v.startswith("contracts.names:1 imports drills") for v in bad)
    assert any(v.startswith("drills.drill_runner:2 imports compliance.report") for v in bad)
    assert any(v.startswith("compliance.report.build:1 imports drills") for v in bad)
    assert not any(v.startswith("drills.defs.assets") for v in bad)  # an edge may wire both
    assert ["compliance", "drills", "compliance"] in cycles(found)
