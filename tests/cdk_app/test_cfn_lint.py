"""cfn-lint (pinned 1.58) on every synthesized template, in the region it deploys to, for both profiles.

Errors and the warnings that mean "will not deploy" fail; any other warning must be acknowledged with
its reason in cdk_app/cfn_lint_acknowledgements.yaml, and an acknowledgement nothing triggers is stale.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from cdk_app.cfn_lint_policy import (
    Finding,
    LintPolicy,
    LintPolicyError,
    judge,
    load_policy,
    parse_findings,
    run_cfn_lint,
)
from cdk_app.constructs.patient_store import ENGINE, ENGINE_VERSION, GLOBAL_DATABASE_MIN_VERSION
from tests.cdk_app.conftest import Synthesized


def _lint(synthesized: Synthesized) -> list[Finding]:
    by_region: dict[str, list[Path]] = defaultdict(list)
    for stack, region in synthesized.regions.items():
        by_region[region].append(synthesized.template_file(stack))
    findings: list[Finding] = []
    for region, files in sorted(by_region.items()):
        findings.extend(run_cfn_lint(files, region))
    return findings


@pytest.fixture(scope="module")
def policy() -> LintPolicy:
    return load_policy()


@pytest.fixture(scope="module")
def default_findings(synthesized: Synthesized) -> list[Finding]:
    return _lint(synthesized)


@pytest.fixture(scope="module")
def production_findings(synthesized_production: Synthesized) -> list[Finding]:
    return _lint(synthesized_production)


def test_every_stack_is_linted_in_its_own_region(synthesized: Synthesized) -> None:
    assert set(synthesized.regions) == set(synthesized.templates)
    assert synthesized.regions["DrServices"] == "ca-west-1"
    assert synthesized.regions["PrimaryServices"] == "ca-central-1"


def test_default_templates_have_no_deploy_breaking_finding(
    default_findings: list[Finding], policy: LintPolicy
) -> None:
    verdict = judge(default_findings, policy)
    assert verdict.ok, "\n".join(f.line() for f in verdict.failing)


def test_production_templates_have_no_deploy_breaking_finding(
    production_findings: list[Finding], policy: LintPolicy
) -> None:
    verdict = judge(production_findings, policy)
    assert verdict.ok, "\n".join(f.line() for f in verdict.failing)


def test_every_acknowledgement_is_still_needed(
    default_findings: list[Finding], production_findings: list[Finding], policy: LintPolicy
) -> None:
    assert judge(default_findings + production_findings, policy).stale == []


def test_a_deprecated_engine_version_fails_the_policy(
    synthesized: Synthesized, policy: LintPolicy, tmp_path: Path
) -> None:
    """The oracle works: put 16.6 back into the synthesized DR template and W3690 blocks it."""
    template = json.loads(json.dumps(synthesized.templates["DrServices"]))
    clusters = [r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::DBCluster"]
    assert clusters and all(c["Properties"]["EngineVersion"] == ENGINE_VERSION for c in clusters)
    for cluster in clusters:
        cluster["Properties"]["EngineVersion"] = "16.6"
    broken = tmp_path / "DrServices.template.json"
    broken.write_text(json.dumps(template))
    verdict = judge(run_cfn_lint([broken], "ca-west-1"), policy)
    assert "W3690" in {f.rule for f in verdict.failing}


def test_engine_version_supports_global_databases_in_both_regions() -> None:
    """Aurora PostgreSQL global databases: 16.1+ in ca-central-1 and ca-west-1 (patient_store cites it)."""
    major, minor = (int(part) for part in ENGINE_VERSION.split("."))
    assert ENGINE == "aurora-postgresql"
    assert (major, minor) >= GLOBAL_DATABASE_MIN_VERSION and major == GLOBAL_DATABASE_MIN_VERSION[0]


def _finding(rule: str, level: str = "Warning") -> Finding:
    return Finding(rule=rule, level=level, message="m", template="t.json", path="Resources/X")


def test_policy_sorts_findings() -> None:
    policy = LintPolicy(blocking={"W3690": "deprecated"}, acknowledged={"W3010": "pinned", "W3005": "x"})
    verdict = judge(
        [_finding("E3012", "Error"), _finding("W3690"), _finding("W3010"), _finding("W9999")], policy
    )
    assert [f.rule for f in verdict.failing] == ["E3012", "W3690", "W9999"]
    assert [f.rule for f in verdict.acknowledged] == ["W3010"]
    assert verdict.stale == ["W3005"]
    assert not verdict.ok


def test_acknowledgements_file_rejects_errors_and_missing_reasons(tmp_path: Path) -> None:
    bad = tmp_path / "acks.yaml"
    bad.write_text("blocking: {}\nacknowledged:\n  E3012: an error can never be acknowledged at all\n")
    with pytest.raises(LintPolicyError, match="E3012"):
        load_policy(bad)
    bad.write_text("blocking: {}\nacknowledged:\n  W3010: short\n")
    with pytest.raises(LintPolicyError, match="reason"):
        load_policy(bad)
    bad.write_text(
        "blocking:\n  W3010: a reason that is long enough to pass\n"
        "acknowledged:\n  W3010: a reason that is long enough to pass\n"
    )
    with pytest.raises(LintPolicyError, match="both"):
        load_policy(bad)


def test_parse_findings_reads_cfn_lint_json() -> None:
    raw = json.dumps(
        [
            {
                "Rule": {"Id": "W3690"},
                "Level": "Warning",
                "Message": "deprecated",
                "Filename": "a.json",
                "Location": {"Path": ["Resources", "Db", "Properties", "EngineVersion"]},
            }
        ]
    )
    (finding,) = parse_findings(raw)
    assert (finding.rule, finding.path) == ("W3690", "Resources/Db/Properties/EngineVersion")
