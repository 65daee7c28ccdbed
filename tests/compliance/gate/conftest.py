"""Shared fixtures: checkov's real Runner on every custom-check fixture, and the app synthesized once.

The gate tests cost one synth per profile: the default profile's assembly feeds the baseline and
every mutation (all judged in ONE gate run, one sub-folder each), the production assembly feeds the
production-profile run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.checkov.tool import CHECKS_DIR, PROJECT_ROOT, CheckovTool, ScanResult

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "checkov"
SUFFIX = "gatetest"
CONTEXT = {
    "environmentSuffix": SUFFIX,
    "dbSecret": "htdr/db",
    "cacheSecret": "htdr/cache",
    "alarmEmail": "oncall@example.com",
}


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


def synthesize(out: Path, extra: dict[str, str] | None = None) -> Path:
    """``python -m cdk_app`` with cdk.json's context; templates are written even when cdk-nag objects."""
    cdk_json = json.loads((PROJECT_ROOT / "cdk.json").read_text())
    context = {**cdk_json.get("context", {}), **CONTEXT, **(extra or {})}
    env = {**os.environ, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps(context)}
    subprocess.run(
        [sys.executable, "-m", "cdk_app"], cwd=PROJECT_ROOT, env=env, capture_output=True, check=False
    )
    assert sorted(p.name for p in out.glob("*.template.json")), "the CDK app synthesized no template"
    return out


@pytest.fixture(scope="session")
def app_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default (non-production) profile, synthesized once per session."""
    return synthesize(tmp_path_factory.mktemp("cdk") / "cdk.out")


@pytest.fixture(scope="session")
def production_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``-c production=true``, synthesized once per session."""
    return synthesize(tmp_path_factory.mktemp("cdk-production") / "cdk.out", {"production": "true"})
