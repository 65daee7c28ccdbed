"""Read cdk-nag's findings from the validation report ``compliance.nag_templates`` writes.

The report has the CDK policy-validation shape (``pluginReports`` → ``violations`` /
``suppressedViolations``), each violating resource naming its template and logical id, plus the
templates cdk-nag could not include (``notEvaluated``). Only violations count against the gate;
acknowledged findings are counted so the summary shows them. A HIPAA rule's description ends with the
Security Rule paragraphs it implements ("(Control IDs: 164.312(b), ...)"): those become the finding's
citations when the catalog does not map the rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_NAME = "validation-report.json"
CONTROL_IDS = re.compile(r"\(Control IDs?: (.*)$", re.DOTALL)
CITATION = re.compile(r"164\.\d{3}(?:\([0-9a-zA-Z]+\))+")


@dataclass(frozen=True)
class NagFinding:
    """One rule violated by one resource."""

    rule_id: str
    description: str
    construct: str
    template: str | None = None
    logical_id: str | None = None

    @property
    def rule_citations(self) -> list[str]:
        """The HIPAA paragraphs the rule's own metadata names (empty for AwsSolutions rules)."""
        found = CONTROL_IDS.search(self.description)
        return list(dict.fromkeys(CITATION.findall(found.group(1)))) if found else []


@dataclass(frozen=True)
class NagOutcome:
    """The plugins that ran, their violations, what was acknowledged and what could not be evaluated."""

    report: Path
    plugins: tuple[str, ...]
    findings: tuple[NagFinding, ...]
    acknowledged: int
    evaluated: tuple[str, ...] = ()
    not_evaluated: tuple[tuple[str, str], ...] = ()  # (template, reason)
    without_paths: tuple[str, ...] = ()  # templates whose resources the acknowledgements could not reach


def _resources(violation: dict[str, Any]) -> list[dict[str, Any]]:
    found = violation.get("violatingConstructs") or violation.get("violatingResources") or []
    return [r for r in found if isinstance(r, dict)] or [{}]


def _finding(violation: dict[str, Any], resource: dict[str, Any]) -> NagFinding:
    cfn = resource.get("cloudFormationResource") or {}
    return NagFinding(
        rule_id=violation["ruleName"],
        description=violation.get("description", ""),
        construct=resource.get("constructPath") or resource.get("resourceLogicalId") or "?",
        template=cfn.get("templatePath"),
        logical_id=cfn.get("logicalId") or resource.get("resourceLogicalId"),
    )


def parse_nag_report(path: Path) -> NagOutcome:
    """Flatten every plugin's violations to (rule, resource) findings."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("pluginReports"), list):
        raise ValueError(f"{path}: not a CDK policy-validation report (no 'pluginReports' list)")
    plugins: list[str] = []
    findings: list[NagFinding] = []
    acknowledged = 0
    for plugin in raw["pluginReports"]:
        plugins.append(plugin.get("pluginName") or plugin.get("summary", {}).get("pluginName", "?"))
        for violation in plugin.get("violations", []):
            findings.extend(_finding(violation, resource) for resource in _resources(violation))
        acknowledged += sum(len(_resources(v)) for v in plugin.get("suppressedViolations", []))
    not_evaluated = tuple(
        (str(item.get("templatePath")), str(item.get("reason"))) for item in raw.get("notEvaluated") or []
    )
    evaluated = tuple(str(t) for t in raw.get("evaluatedTemplates") or [])
    without_paths = tuple(str(t) for t in raw.get("withoutConstructPaths") or [])
    return NagOutcome(
        path, tuple(plugins), tuple(findings), acknowledged, evaluated, not_evaluated, without_paths
    )
