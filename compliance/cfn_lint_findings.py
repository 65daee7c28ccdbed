"""cfn-lint in the gate: run the pinned cfn-lint on the templates and judge its findings by the app's policy.

The policy is the app's own (``cdk_app.cfn_lint_policy``, file ``cdk_app/cfn_lint_acknowledgements.yaml``):
``blocking`` warnings mean CloudFormation or the service will reject the template, so they fail like
errors; ``acknowledged`` warnings are kept on purpose, with the reason. Every error fails; a blocking
warning fails; a warning in neither section fails, so a new kind of warning is looked at.
Informational findings (``I*``) are reported, never failed. Without a policy file nothing is
acknowledged. The gate keeps its own reading of cfn-lint's JSON for what a report needs (line,
description, several regions per run).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cdk_app.cfn_lint_policy import ACKNOWLEDGEMENTS_FILE as POLICY_FILE
from cdk_app.cfn_lint_policy import LintPolicy, LintPolicyError
from cdk_app.cfn_lint_policy import load_policy as load_app_policy


class CfnLintUnavailable(RuntimeError):
    """cfn-lint could not run or its policy file is malformed; the message says what to fix."""


@dataclass(frozen=True)
class LintFinding:
    """One cfn-lint match and what the policy makes of it."""

    rule: str
    level: str
    message: str
    description: str
    template: str
    path: tuple[str, ...]
    line: int | None
    verdict: str  # "fails", "blocking", "acknowledged" or "informational"
    reason: str | None = None

    @property
    def fails(self) -> bool:
        return self.verdict in ("fails", "blocking")

    @property
    def logical_id(self) -> str | None:
        return self.path[1] if len(self.path) > 1 and self.path[0] == "Resources" else None


def load_policy(path: Path = POLICY_FILE) -> LintPolicy:
    """The app's lint policy, or an empty one when there is no file (then nothing is acknowledged)."""
    if not path.is_file():
        return LintPolicy(blocking={}, acknowledged={})
    try:
        return load_app_policy(path)
    except (LintPolicyError, yaml.YAMLError) as exc:
        raise CfnLintUnavailable(f"{path}: {exc}") from None


def _verdict(rule: str, level: str, policy: LintPolicy) -> tuple[str, str | None]:
    if level == "Error" or rule.startswith("E"):
        return "fails", None
    if rule in policy.blocking:
        return "blocking", policy.blocking[rule]
    if level == "Informational" or rule.startswith("I"):
        return "informational", None
    if rule in policy.acknowledged:
        return "acknowledged", policy.acknowledged[rule]
    return "fails", None


def judge(raw: list[dict[str, Any]], policy: LintPolicy) -> list[LintFinding]:
    """cfn-lint's JSON matches, judged; duplicates (one per region) are folded."""
    findings: dict[tuple[str, str, tuple[str, ...], str], LintFinding] = {}
    for match in raw:
        rule_info: dict[str, Any] = match.get("Rule") or {}
        location: dict[str, Any] = match.get("Location") or {}
        start: dict[str, Any] = location.get("Start") or {}
        rule, level = str(rule_info.get("Id", "?")), str(match.get("Level", ""))
        path = tuple(str(p) for p in location.get("Path") or [])
        verdict, reason = _verdict(rule, level, policy)
        finding = LintFinding(
            rule=rule,
            level=level,
            message=str(match.get("Message", "")),
            description=str(rule_info.get("ShortDescription") or rule_info.get("Description") or rule),
            template=str(match.get("Filename", "")),
            path=path,
            line=start["LineNumber"] if isinstance(start.get("LineNumber"), int) else None,
            verdict=verdict,
            reason=reason,
        )
        findings.setdefault((finding.template, rule, path, finding.message), finding)
    return list(findings.values())


def run_cfn_lint(
    executable: Path, templates: Sequence[Path], regions: Sequence[str], out_file: Path
) -> list[dict[str, Any]]:
    """cfn-lint's JSON findings for ``templates`` in ``regions`` (also written to ``out_file``)."""
    command = [str(executable), "--format", "json", "--non-zero-exit-code", "none"]
    if regions:
        command += ["--regions", *regions]
    command += ["--", *(str(t) for t in templates)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise CfnLintUnavailable(
            f"cannot start cfn-lint at {executable}: {exc.strerror}; run ./dev setup"
        ) from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise CfnLintUnavailable(f"cfn-lint did not complete (exit {completed.returncode}): {last[:300]}")
    raw = json.loads(completed.stdout or "[]")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    return list(raw)
