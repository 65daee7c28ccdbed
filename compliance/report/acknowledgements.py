"""Accepted findings grouped by rule and reason, each group listing every resource it covers.

Read from the tools' own output (cdk-nag's suppressed violations, checkov's skip comments) and the
catalog's declared exceptions, so every acceptance is shown, also one whose rule no control cites. The
same reason applied to twenty resources is one group with twenty resources; the control matrix links
to the group instead of repeating the reason.
"""

from __future__ import annotations

from typing import cast, get_args

from compliance.controls.catalog import Catalog, Tool
from compliance.report.evidence_set import EvidenceSet
from compliance.report.models import AcknowledgementGroup, ExceptionNote

GroupKey = tuple[str, str, str, str]  # tool, check id, reason, where it was recorded
NAG_SOURCE = "cdk-nag acknowledgement"
CHECKOV_SOURCE = "checkov skip comment"
CATALOG_SOURCE = "control catalog"


def group_key(note: ExceptionNote) -> GroupKey:
    return note.tool, note.check_id, note.reason.strip(), note.source


def acknowledgement_groups(catalog: Catalog, evidence: EvidenceSet) -> list[AcknowledgementGroup]:
    """One group per (tool, rule, reason, where recorded); unjustified ones first, then by rule."""
    resources: dict[GroupKey, set[str]] = {}
    if evidence.nag is not None:
        for rule, entries in evidence.nag[1].suppressed.items():
            for path, reason in entries:
                key = ("cdk-nag", _nag_rule(rule), reason.strip(), NAG_SOURCE)
                resources.setdefault(key, set()).add(path)
    if evidence.checkov is not None:
        for check_id, tally in evidence.checkov[1].by_check.items():
            for resource, comment in tally.skipped:
                key = ("checkov", check_id, comment.strip(), CHECKOV_SOURCE)
                resources.setdefault(key, set()).add(resource)
    for declared in catalog.exceptions:
        key = (declared.tool, declared.id, declared.reason.strip(), CATALOG_SOURCE)
        resources.setdefault(key, set()).add("*")
    ordered = sorted(resources, key=lambda k: (bool(k[2]), k[0], k[1], k[2]))
    return [
        AcknowledgementGroup(
            id=f"ack-{n}", tool=key[0], check_id=key[1], reason=key[2], source=key[3],
            resources=sorted(resources[key]), controls=_controls(catalog, key[1], key[0]),
        )
        for n, key in enumerate(ordered, start=1)
    ]


def _controls(catalog: Catalog, check_id: str, tool: str) -> list[str]:
    """Catalog controls whose checks include this one (none for a tool the catalog does not know)."""
    if tool not in get_args(Tool):
        return []
    return list(dict.fromkeys(c.id for _citation, c in catalog.controls_for(check_id, cast(Tool, tool))))


def _nag_rule(rule_name: str) -> str:
    """``AwsSolutions-IAM5[Action::*]`` is acknowledged per finding; the catalog and matrix use the rule."""
    return rule_name.split("[", 1)[0]
