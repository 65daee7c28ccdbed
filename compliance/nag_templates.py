"""cdk-nag's packs evaluated ON GIVEN CloudFormation templates, with the app's acknowledgements.

Each template is included (``cloudformation_include.CfnInclude``) into its own stack of a throwaway
App, and the same packs the app attaches (``HIPAASecurityChecks``, ``AwsSolutionsChecks``) walk the
included L1 resources through ``validate_scope`` — the entry point cdk-nag 3's plugin ``validate``
calls. Findings are then split into violations and acknowledged ones the way the app would: first by
the acknowledgements the app wrote into each resource's template Metadata (``cdk_nag.rules_to_suppress``,
every acknowledgement of the app, wherever it was declared); for templates without them, an
acknowledgement of ``cdk_app.nag_acknowledgements`` applies to a resource when its construct-path
pattern matches the resource's path or one of its ancestors (the path comes from the assembly's
``<stack>.metadata.json``, where CDK records path → logical id) and its finding id matches (the
``{suffix}``/``{primary}``/``{dr}`` placeholders match any name part).

Run as ``python -m compliance.nag_templates --out REPORT [--production] TEMPLATE...`` (the gate runs it
in a subprocess so a jsii failure cannot take the gate down). It writes a CDK policy-validation
report (same shape as the synth's ``validation-report.json``: ``pluginReports`` with ``violations``
and ``suppressedViolations``) plus ``evaluatedTemplates``/``notEvaluated``, so a template cdk-nag
could not read is named instead of silently passing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from compliance.nag_template_acknowledgements import TEMPLATE_ACKNOWLEDGEMENTS, TemplateAck

PLACEHOLDER = re.compile(r"\{(suffix|primary|dr|stack)\}")
NAME_PART = "[A-Za-z0-9-]+"
REPORT_VERSION = "55.0.0"


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledgement in force: construct-path pattern, finding-id regex, reason, source id."""

    path: str
    finding: re.Pattern[str]
    acknowledged_id: str
    reason: str
    condition: Callable[[dict[str, Any], str], bool] | None = None


@dataclass(frozen=True)
class IncludedTemplate:
    """A template included into the throwaway app, with its logical id → construct path map."""

    stack_id: str
    template_path: str  # as the caller named it (relative paths stay relative)
    paths: dict[str, str]
    resources: dict[str, Any]


def finding_pattern(rule: str) -> re.Pattern[str]:
    """``Pack::Pack-Rule[detail {suffix}]`` → a regex of the finding id cdk-nag reports."""
    plugin, sep, rest = rule.partition("::")
    finding = rest if sep and rest.startswith(f"{plugin}-") else rule
    parts = PLACEHOLDER.split(finding)
    # split() alternates literal text and placeholder names; names sit at odd indexes
    regex = "".join(NAME_PART if i % 2 else re.escape(part) for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


def app_acknowledgements(production: bool) -> list[Acknowledgement]:
    """The app's acknowledgements in force for the profile (production drops the non-production ones)."""
    from cdk_app.nag_acknowledgements import ACKNOWLEDGEMENTS

    return [
        Acknowledgement(ack.path, finding_pattern(ack.rule), ack.rule, ack.reason)
        for ack in ACKNOWLEDGEMENTS
        if not (production and ack.non_production)
    ] + [_template_ack(ack) for ack in TEMPLATE_ACKNOWLEDGEMENTS]


def _template_ack(ack: TemplateAck) -> Acknowledgement:
    return Acknowledgement(ack.path, finding_pattern(ack.rule), ack.rule, ack.reason, ack.condition)


def ancestors(path: str) -> Iterable[str]:
    """``a/b/c`` → ``a/b/c``, ``a/b``, ``a``: an acknowledgement on a construct covers its children."""
    parts = path.split("/")
    for end in range(len(parts), 0, -1):
        yield "/".join(parts[:end])


def acknowledgement_for(
    acknowledgements: Sequence[Acknowledgement],
    finding_id: str,
    path: str,
    resources: dict[str, Any],
    logical_id: str,
) -> Acknowledgement | None:
    """The first acknowledgement covering ``finding_id`` on the resource at ``path`` (its condition met)."""
    for ack in acknowledgements:
        if not ack.finding.match(finding_id) or not any(fnmatchcase(p, ack.path) for p in ancestors(path)):
            continue
        if ack.condition is None or ack.condition(resources, logical_id):
            return ack
    return None


def template_acknowledgement(
    resources: dict[str, Any], logical_id: str, finding_id: str
) -> Acknowledgement | None:
    """The acknowledgement the app wrote into the resource's Metadata (``cdk_nag.rules_to_suppress``)."""
    resource = resources.get(logical_id)
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    nag = metadata.get("cdk_nag") if isinstance(metadata, dict) else None
    rules = nag.get("rules_to_suppress") if isinstance(nag, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        rule_id = str(rule.get("id", "")) if isinstance(rule, dict) else ""
        if rule_id and finding_pattern(rule_id).match(finding_id):
            return Acknowledgement("*", finding_pattern(rule_id), rule_id, str(rule.get("reason") or ""))
    return None


def construct_paths(template: Path, stack_id: str) -> dict[str, str]:
    """logical id → construct path (no leading slash), from ``<stack>.metadata.json`` beside the template."""
    metadata = template.with_name(template.name.removesuffix(".template.json") + ".metadata.json")
    found: dict[str, str] = {}
    if metadata.is_file():
        raw = json.loads(metadata.read_text(encoding="utf-8"))
        for path, entries in raw.items() if isinstance(raw, dict) else ():
            for entry in entries:
                if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId":
                    found[str(entry.get("data"))] = path.lstrip("/")
    return found


def _resource_path(template: IncludedTemplate, logical_id: str) -> str:
    """The construct path the app gave the resource; from template metadata, or ``stack/logical id``."""
    if logical_id in template.paths:
        return template.paths[logical_id]
    metadata = template.resources.get(logical_id, {}).get("Metadata") or {}
    cdk_path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    return str(cdk_path) if cdk_path else f"{template.stack_id}/{logical_id}"


def _has_paths(template: IncludedTemplate) -> bool:
    return bool(template.paths) or any(
        isinstance(r, dict) and "aws:cdk:path" in (r.get("Metadata") or {})
        for r in template.resources.values()
    )


def _stack_ids(templates: Sequence[Path]) -> list[str]:
    """Construct ids for the throwaway stacks: the template's stem, made unique."""
    seen: dict[str, int] = {}
    ids = []
    for template in templates:
        stem = re.sub(r"[^A-Za-z0-9-]", "-", template.name.removesuffix(".template.json")) or "Template"
        seen[stem] = seen.get(stem, 0) + 1
        ids.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return ids


def evaluate(templates: Sequence[Path], production: bool) -> dict[str, Any]:
    """Include every template, run both packs, split findings by acknowledgement; the report as a dict."""
    from aws_cdk import App, Stack
    from aws_cdk import cloudformation_include as cfn_include
    from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks

    with tempfile.TemporaryDirectory(prefix="htdr-nag-") as outdir:
        app = App(outdir=outdir)
        included: dict[str, IncludedTemplate] = {}
        not_evaluated: list[dict[str, str]] = []
        for template, stack_id in zip(templates, _stack_ids(templates), strict=True):
            try:
                body = json.loads(template.read_text(encoding="utf-8"))
                stack = Stack(app, stack_id)
                cfn_include.CfnInclude(stack, "Template", template_file=str(template))
            except Exception as exc:
                reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                not_evaluated.append({"templatePath": str(template), "reason": reason})
                continue
            included[stack_id] = IncludedTemplate(
                stack_id, str(template), construct_paths(template, stack_id), body.get("Resources") or {}
            )
        acknowledgements = app_acknowledgements(production)
        reports = []
        for pack in (HIPAASecurityChecks(app), AwsSolutionsChecks(app)):
            reports.append(
                _plugin_report(pack.name, pack.validate_scope(app).violations, included, acknowledgements)
            )
    return {
        "version": REPORT_VERSION,
        "title": "Validation Report",
        "pluginReports": reports,
        "evaluatedTemplates": [t.template_path for t in included.values()],
        # no construct paths (no <stack>.metadata.json, no aws:cdk:path): acknowledgements cannot apply
        "withoutConstructPaths": [t.template_path for t in included.values() if not _has_paths(t)],
        "notEvaluated": not_evaluated,
        "profile": "production" if production else "non-production",
    }


def _plugin_report(
    plugin: str,
    violations: Sequence[Any],
    included: dict[str, IncludedTemplate],
    acknowledgements: Sequence[Acknowledgement],
) -> dict[str, Any]:
    """One pack's findings in the CDK report shape, acknowledged ones moved to ``suppressedViolations``."""
    open_findings: list[dict[str, Any]] = []
    suppressed: list[dict[str, Any]] = []
    for violation in violations:
        failing: list[dict[str, Any]] = []
        for resource in violation.violating_resources:
            stack_id, _, rest = resource.construct_path.partition("/")
            template = included.get(stack_id)
            if template is None:
                continue
            logical_id = rest.rsplit("/", 1)[-1]
            path = _resource_path(template, logical_id)
            entry = {
                "constructPath": path,
                "cloudFormationResource": {"templatePath": template.template_path, "logicalId": logical_id},
            }
            ack = template_acknowledgement(template.resources, logical_id, violation.rule_name)
            ack = ack or acknowledgement_for(
                acknowledgements, violation.rule_name, path, template.resources, logical_id
            )
            if ack is None:
                failing.append(entry)
            else:
                suppressed.append(
                    {
                        **_violation_head(violation),
                        "violatingConstructs": [entry],
                        "acknowledgedId": ack.acknowledged_id,
                        "reason": ack.reason,
                        "acknowledgedAt": path,
                    }
                )
        if failing:
            open_findings.append({**_violation_head(violation), "violatingConstructs": failing})
    return {
        "pluginName": plugin,
        "conclusion": "failure" if open_findings else "success",
        "violations": open_findings,
        "suppressedViolations": suppressed,
    }


def _violation_head(violation: Any) -> dict[str, Any]:
    return {
        "ruleName": violation.rule_name,
        "description": violation.description,
        "severity": violation.severity or "error",
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, write the report; exit 0 when written (findings are judged by the gate, not here)."""
    parser = argparse.ArgumentParser(prog="python -m compliance.nag_templates", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where the validation report goes")
    parser.add_argument("--production", action="store_true", help="the templates are the production profile")
    parser.add_argument("templates", nargs="+", type=Path)
    args = parser.parse_args(argv)
    report = evaluate(args.templates, args.production)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
