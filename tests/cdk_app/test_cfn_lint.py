"""cfn-lint (pinned 1.58) on every synthesized template, in the region it deploys to, for both profiles.

The policy is the gate's (compliance/cfn_lint_findings.py) applied to the app's one policy file,
cdk_app/cfn_lint_acknowledgements.yaml: errors and the warnings that mean "will not deploy" fail, any
other warning must be acknowledged there with its reason, and an acknowledgement nothing triggers is
stale.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from cdk_app.constructs.patient_store import ENGINE, ENGINE_VERSION, GLOBAL_DATABASE_MIN_VERSION
from compliance.cfn_lint_findings import (
    POLICY_FILE,
    LintFinding,
    LintPolicy,
    judge,
    load_policy,
    run_cfn_lint,
)
from tests.cdk_app.conftest import Synthesized

CFN_LINT = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "cfn-lint"
#: Warnings that mean CloudFormation or the service rejects the template; never acknowledgeable.
MUST_BLOCK = {"W3690", "W3691", "W2531"}


def _lint(synthesized: Synthesized, policy: LintPolicy, out: Path) -> list[LintFinding]:
    by_region: dict[str, list[Path]] = defaultdict(list)
    for stack, region in synthesized.regions.items():
        by_region[region].append(synthesized.template_file(stack))
    findings: list[LintFinding] = []
    for region, files in sorted(by_region.items()):
        findings += judge(run_cfn_lint(CFN_LINT, files, [region], out / f"{region}.json"), policy)
    return findings


def _failing(findings: list[LintFinding]) -> str:
    return "\n".join(
        f"{Path(f.template).name}: {f.rule} {'/'.join(f.path)}: {f.message}" for f in findings if f.fails
    )


@pytest.fixture(scope="module")
def policy() -> LintPolicy:
    return load_policy()


@pytest.fixture(scope="module")
def default_findings(
    synthesized: Synthesized, policy: LintPolicy, tmp_path_factory: pytest.TempPathFactory
) -> list[LintFinding]:
    return _lint(synthesized, policy, tmp_path_factory.mktemp("cfn-lint"))


@pytest.fixture(scope="module")
def production_findings(
    synthesized_production: Synthesized, policy: LintPolicy, tmp_path_factory: pytest.TempPathFactory
) -> list[LintFinding]:
    return _lint(synthesized_production, policy, tmp_path_factory.mktemp("cfn-lint-production"))


def test_every_stack_is_linted_in_its_own_region(synthesized: Synthesized) -> None:
    assert set(synthesized.regions) == set(synthesized.templates)
    assert synthesized.regions["DrServices"] == "ca-west-1"
    assert synthesized.regions["DrFoundation"] == "ca-west-1"
    assert synthesized.regions["PrimaryServices"] == "ca-central-1"


def test_default_templates_have_no_deploy_breaking_finding(default_findings: list[LintFinding]) -> None:
    assert not any(f.fails for f in default_findings), _failing(default_findings)


def test_production_templates_have_no_deploy_breaking_finding(production_findings: list[LintFinding]) -> None:
    assert not any(f.fails for f in production_findings), _failing(production_findings)


def test_every_acknowledgement_is_still_needed(
    default_findings: list[LintFinding], production_findings: list[LintFinding], policy: LintPolicy
) -> None:
    used = {f.rule for f in default_findings + production_findings if f.verdict == "acknowledged"}
    assert set(policy.acknowledged) - used == set()


def test_the_policy_file_gives_a_reason_for_every_entry_and_blocks_deprecated_versions() -> None:
    raw = yaml.safe_load(POLICY_FILE.read_text())
    assert set(raw) == {"blocking", "acknowledged"}
    assert set(raw["blocking"]) >= MUST_BLOCK
    assert not set(raw["blocking"]) & set(raw["acknowledged"])
    for section in ("blocking", "acknowledged"):
        for rule, reason in raw[section].items():
            assert rule[0] in "WI", f"{section}.{rule}: errors always fail, they cannot be listed"
            assert len(reason.strip()) >= 30, f"{section}.{rule}: say why"


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
    findings = judge(run_cfn_lint(CFN_LINT, [broken], ["ca-west-1"], tmp_path / "out.json"), policy)
    assert "W3690" in {f.rule for f in findings if f.fails}


def test_engine_version_supports_global_databases_in_both_regions() -> None:
    """Aurora PostgreSQL global databases: 16.1+ in ca-central-1 and ca-west-1 (patient_store cites it)."""
    major, minor = (int(part) for part in ENGINE_VERSION.split("."))
    assert ENGINE == "aurora-postgresql"
    assert (major, minor) >= GLOBAL_DATABASE_MIN_VERSION and major == GLOBAL_DATABASE_MIN_VERSION[0]
