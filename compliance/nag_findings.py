"""Read cdk-nag's findings from the CDK policy-validation report the synth leaves in the assembly.

cdk-nag 3 reports through CDK's policy-validation plugins; the file is ``policy-validation-report.json``
or ``validation-report.json`` depending on the CDK version, so both names are looked for. Only
violations count against the gate; acknowledged findings are counted so the summary shows them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_NAMES = ("policy-validation-report.json", "validation-report.json")


@dataclass(frozen=True)
class NagFinding:
    """One rule violated by one construct."""

    rule_id: str
    description: str
    construct: str


@dataclass(frozen=True)
class NagOutcome:
    """The plugins that ran, their violations, and how many findings were acknowledged."""

    report: Path
    plugins: tuple[str, ...]
    findings: tuple[NagFinding, ...]
    acknowledged: int


def find_nag_report(assembly_dir: Path) -> Path | None:
    """The validation report of a cloud assembly, if the synth wrote one."""
    for name in REPORT_NAMES:
        candidate = assembly_dir / name
        if candidate.is_file():
            return candidate
    return None


def _constructs(violation: dict[str, Any]) -> list[str]:
    found = violation.get("violatingConstructs") or violation.get("violatingResources") or []
    return [c.get("constructPath") or c.get("resourceLogicalId") or "?" for c in found] or ["?"]


def parse_nag_report(path: Path) -> NagOutcome:
    """Flatten every plugin's violations to (rule, construct) findings."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("pluginReports"), list):
        raise ValueError(f"{path}: not a CDK policy-validation report (no 'pluginReports' list)")
    plugins: list[str] = []
    findings: list[NagFinding] = []
    acknowledged = 0
    for plugin in raw["pluginReports"]:
        plugins.append(plugin.get("pluginName") or plugin.get("summary", {}).get("pluginName", "?"))
        for violation in plugin.get("violations", []):
            findings.extend(
                NagFinding(violation["ruleName"], violation.get("description", ""), construct)
                for construct in _constructs(violation)
            )
        acknowledged += sum(len(_constructs(v)) for v in plugin.get("suppressedViolations", []))
    return NagOutcome(path, tuple(plugins), tuple(findings), acknowledged)
