"""Read the CDK policy-validation report that cdk-nag 3 plugins feed (``validation-report.json``).

cdk-nag reports only violations, so a rule passes when its pack ran and the rule is not among them.
Acknowledged findings (``Validations.of(c).acknowledge``) land in ``suppressedViolations`` with the
reason, which is exactly the exception an auditor must see. The legacy report shape
(``summary.pluginName``) is read too, because older synths leave it behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance.report.evidence_error import EvidenceUnreadableError


@dataclass(frozen=True)
class NagResults:
    plugins: frozenset[str]
    violations: dict[str, list[str]]  # rule name -> construct paths
    suppressed: dict[str, list[tuple[str, str]]]  # rule name -> (construct path, reason)
    descriptions: dict[str, str] = field(default_factory=dict)  # rule name -> the rule's own text


def parse_nag(raw: Any) -> NagResults:
    """Collect, per rule name, the violating and the acknowledged constructs of every plugin report."""
    if not isinstance(raw, dict) or not isinstance(raw.get("pluginReports"), list):
        raise EvidenceUnreadableError("not a CDK policy-validation report (no 'pluginReports' list)")
    plugins: set[str] = set()
    violations: dict[str, list[str]] = {}
    suppressed: dict[str, list[tuple[str, str]]] = {}
    descriptions: dict[str, str] = {}
    for plugin in raw["pluginReports"]:
        plugins.add(plugin.get("pluginName") or plugin["summary"]["pluginName"])
        for violation in plugin.get("violations", []):
            violations.setdefault(violation["ruleName"], []).extend(_paths(violation))
            descriptions[violation["ruleName"]] = violation.get("description") or ""
        for violation in plugin.get("suppressedViolations", []):
            reason = violation.get("reason") or ""
            suppressed.setdefault(violation["ruleName"], []).extend(
                (path, reason) for path in _paths(violation)
            )
    return NagResults(plugins=frozenset(plugins), violations=violations, suppressed=suppressed,
                      descriptions=descriptions)


def rule_plugin(rule_id: str) -> str:
    """The pack a rule id belongs to: ``HIPAA.Security-S3BucketLoggingEnabled`` -> ``HIPAA.Security``."""
    return rule_id.split("-", 1)[0]


def matching(rules: dict[str, list[Any]], rule_id: str) -> list[Any]:
    """Entries for a rule id, including its per-finding variants (``AwsSolutions-IAM5[Action::*]``)."""
    return [
        entry
        for name, entries in rules.items()
        if name == rule_id or name.startswith(f"{rule_id}[")
        for entry in entries
    ]


def _paths(violation: dict[str, Any]) -> list[str]:
    constructs = violation.get("violatingConstructs") or violation.get("violatingResources") or []
    return [c.get("constructPath") or c.get("resourceLogicalId") or "?" for c in constructs] or ["?"]
