"""Shared fixtures: checkov's real Runner, run once per session on every custom-check fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.checkov.tool import CHECKS_DIR, CheckovTool, ScanResult

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "checkov"


def custom_check_ids() -> list[str]:
    """The ids of every custom check file (Python class or YAML graph policy), read from the files."""
    import re

    ids = []
    for path in sorted(CHECKS_DIR.iterdir()):
        if path.suffix in (".py", ".yaml"):
            found = re.search(r"""id(?:=|:\s*)"?(CKV_HT_\d+)""", path.read_text())
            if found:
                ids.append(found.group(1))
    return ids


@pytest.fixture(scope="session")
def checkov_tool() -> CheckovTool:
    tool = CheckovTool.at()
    tool.require()
    return tool


@pytest.fixture(scope="session")
def fixture_scan(checkov_tool: CheckovTool) -> ScanResult:
    """One Runner run over all PASS/FAIL templates with all custom checks (assertions stay per file)."""
    return checkov_tool.scan(sorted(FIXTURES_DIR.glob("*.yaml")), custom_check_ids())
