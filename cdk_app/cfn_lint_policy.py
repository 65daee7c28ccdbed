"""What a cfn-lint finding on a synthesized template means for a deploy: one policy, read from one file.

``cfn_lint_acknowledgements.yaml`` (beside this module) lists

- ``blocking``: warning rule ids that mean the stack will not deploy (a version AWS no longer lets you
  create, a value the service rejects). They fail exactly like errors.
- ``acknowledged``: the other warnings the app keeps on purpose, each with its reason.

Every error fails; a blocking warning fails; a warning that is neither blocking nor acknowledged fails
(so a new kind of warning is looked at, not ignored); an acknowledgement no template triggers is stale.
The cdk_app tests and the compliance gate both apply this policy to the same file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ACKNOWLEDGEMENTS_FILE = Path(__file__).with_name("cfn_lint_acknowledgements.yaml")
_REPO_ROOT = Path(__file__).resolve().parent.parent
_MIN_REASON = 30


class LintPolicyError(ValueError):
    """The acknowledgements file is malformed; the message names the entry and the fix."""


@dataclass(frozen=True)
class Finding:
    """One cfn-lint match, reduced to what the policy and a report need."""

    rule: str
    level: str
    message: str
    template: str
    path: str

    @property
    def is_error(self) -> bool:
        return self.level == "Error" or self.rule.startswith("E")

    def line(self) -> str:
        return f"{Path(self.template).name}: {self.rule} {self.path}: {self.message}"


@dataclass(frozen=True)
class LintPolicy:
    """Blocking warning ids and acknowledged warning ids, each with why."""

    blocking: Mapping[str, str]
    acknowledged: Mapping[str, str]


@dataclass
class Verdict:
    """Findings sorted by what they mean; ``ok`` when nothing fails."""

    failing: list[Finding] = field(default_factory=list)
    acknowledged: list[Finding] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failing


def _reasons(raw: object, section: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise LintPolicyError(f"{ACKNOWLEDGEMENTS_FILE.name}: '{section}' must map rule ids to reasons")
    out: dict[str, str] = {}
    for rule, reason in raw.items():
        if not isinstance(rule, str) or rule[:1] not in {"W", "I"}:
            raise LintPolicyError(
                f"{ACKNOWLEDGEMENTS_FILE.name}: {section}.{rule}: only warning (W) or informational (I) "
                "rules can be listed; errors always fail"
            )
        if not isinstance(reason, str) or len(reason.strip()) < _MIN_REASON:
            raise LintPolicyError(
                f"{ACKNOWLEDGEMENTS_FILE.name}: {section}.{rule}: give a reason of at least "
                f"{_MIN_REASON} characters"
            )
        out[rule] = reason.strip()
    return out


def load_policy(path: Path = ACKNOWLEDGEMENTS_FILE) -> LintPolicy:
    """Read and validate the acknowledgements file."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise LintPolicyError(f"{path.name}: expected the keys 'blocking' and 'acknowledged'")
    policy = LintPolicy(
        blocking=_reasons(data.get("blocking"), "blocking"),
        acknowledged=_reasons(data.get("acknowledged"), "acknowledged"),
    )
    both = set(policy.blocking) & set(policy.acknowledged)
    if both:
        raise LintPolicyError(f"{path.name}: {sorted(both)} are both blocking and acknowledged; pick one")
    return policy


def parse_findings(json_text: str) -> list[Finding]:
    """Findings from ``cfn-lint --format json`` output."""
    findings = []
    for match in json.loads(json_text or "[]"):
        findings.append(
            Finding(
                rule=match["Rule"]["Id"],
                level=match.get("Level", ""),
                message=match.get("Message", ""),
                template=match.get("Filename", ""),
                path="/".join(str(p) for p in match.get("Location", {}).get("Path", []) or []),
            )
        )
    return findings


def judge(findings: Iterable[Finding], policy: LintPolicy) -> Verdict:
    """Errors, blocking and unacknowledged warnings fail; acknowledgements nothing triggers are stale."""
    verdict = Verdict()
    seen: set[str] = set()
    for finding in findings:
        seen.add(finding.rule)
        if finding.is_error or finding.rule in policy.blocking or finding.rule not in policy.acknowledged:
            verdict.failing.append(finding)
        else:
            verdict.acknowledged.append(finding)
    verdict.stale = sorted(set(policy.acknowledged) - seen)
    return verdict


def cfn_lint_executable() -> str:
    """The pinned cfn-lint of the tools environment (``.tools/bin``), else the one on PATH."""
    pinned = _REPO_ROOT / ".tools" / "bin" / "cfn-lint"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("cfn-lint")
    if found is None:
        raise FileNotFoundError("cfn-lint: not installed; run ./dev setup (it installs it in .tools/bin)")
    return found


def run_cfn_lint(templates: Iterable[Path], region: str) -> list[Finding]:
    """Lint ``templates`` against ``region`` (resource types and values that region offers)."""
    command = [
        cfn_lint_executable(),
        "--format",
        "json",
        "--regions",
        region,
        "--non-zero-exit-code",
        "none",
        "--",
        *(str(t) for t in templates),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cfn-lint failed to run ({done.returncode}): {done.stderr.strip()[:500]}")
    return parse_findings(done.stdout)
