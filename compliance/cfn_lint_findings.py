"""cfn-lint in the gate: run the pinned cfn-lint on the templates and judge its findings by the app's policy.

The policy file (``cdk_app/cfn_lint_acknowledgements.yaml``) maps warning ids to reasons in two
sections: ``blocking`` (the warning means CloudFormation or the service will reject the template, so
it fails like an error) and ``acknowledged`` (kept on purpose, with the reason). Every error fails; a
blocking warning fails; a warning in neither section fails, so a new kind of warning is looked at.
Informational findings (``I*``) are reported, never failed. Without a policy file nothing is
acknowledged.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).resolve().parent.parent / "cdk_app" / "cfn_lint_acknowledgements.yaml"


class CfnLintUnavailable(RuntimeError):
    """cfn-lint could not run or its policy file is malformed; the message says what to fix."""


@dataclass(frozen=True)
class LintPolicy:
    """Blocking warning ids and acknowledged warning ids, each with why."""

    blocking: dict[str, str] = field(default_factory=dict)
    acknowledged: dict[str, str] = field(default_factory=dict)


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
    """The policy file, or an empty policy when there is none (nothing acknowledged)."""
    if not path.is_file():
        return LintPolicy()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sections = (
        {name: raw.get(name) or {} for name in ("blocking", "acknowledged")} if isinstance(raw, dict) else {}
    )
    if not sections or not all(isinstance(v, dict) for v in sections.values()):
        raise CfnLintUnavailable(
            f"{path}: expected 'blocking' and 'acknowledged' mappings of rule id → reason"
        )
    return LintPolicy(
        blocking={str(k): str(v) for k, v in sections["blocking"].items()},
        acknowledged={str(k): str(v) for k, v in sections["acknowledged"].items()},
    )


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
