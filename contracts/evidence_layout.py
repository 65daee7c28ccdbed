"""Where evidence lives under the reports directory: drills write it, the gate writes it, the report reads it.

``reports/``
- ``drills/drill-<scenario>-<run_id>.json``: one journal per drill run (``.inflight.json`` while a
  drill has not finished its rollbacks);
- ``integrity/<run_id>/``: the Great Expectations results and Data Docs of that drill's stores;
- ``compliance/``: the gate's outputs (checkov, cdk-nag, cfn-lint, the gate summary);
- ``report-<UTC time>/``: one auditor report folder per build.
"""

from __future__ import annotations

from pathlib import Path

#: The default reports directory, relative to where a command runs.
REPORTS_DIR = Path("reports")
DRILLS = "drills"
INTEGRITY = "integrity"
COMPLIANCE = "compliance"
#: Every folder of evidence a report gathers, in the order it lists them.
SOURCE_DIRS = (DRILLS, COMPLIANCE, INTEGRITY)
REPORT_PREFIX = "report-"
INFLIGHT_FILE = ".inflight.json"


def journal_dir(reports_dir: Path) -> Path:
    return reports_dir / DRILLS


def journal_name(scenario: str, run_id: str) -> str:
    return f"drill-{scenario}-{run_id}.json"


def inflight_marker(reports_dir: Path) -> Path:
    return journal_dir(reports_dir) / INFLIGHT_FILE


def integrity_dir(reports_dir: Path, run_id: str) -> Path:
    return reports_dir / INTEGRITY / run_id


def compliance_dir(reports_dir: Path) -> Path:
    return reports_dir / COMPLIANCE
