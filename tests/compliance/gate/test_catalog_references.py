"""Every check id the catalog references exists in the tool that is supposed to run it."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import cdk_nag
import yaml

from compliance.checkov.tool import CONFIG_FILE, CheckovTool
from compliance.controls.catalog import DRILL_CHECK_NAMES, load_catalog
from compliance.expectations.suites import all_suites


def _cdk_nag_rule_ids() -> set[str]:
    """Rule ids as cdk-nag reports them (pack-RuleName), read from the installed jsii assembly."""
    bundle = next((Path(cdk_nag.__file__).parent / "_jsii").glob("*.tgz"))
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/RULES.md")
        assert member is not None
        text = member.read().decode()
    return set(re.findall(r"\b((?:HIPAA\.Security|AwsSolutions)-[A-Za-z0-9]+)", text))


#: Two of checkov's Dockerfile checks, to prove the catalog's ``CKV_DOCKER_*``/``CKV2_DOCKER_*`` prefixes
#: name real checks (the ids listing covers CloudFormation only).
DOCKERFILE_CHECK_IDS = {"CKV_DOCKER_2", "CKV2_DOCKER_1"}


def _ge_expectation_types() -> set[str]:
    """The expectation types our suites run: a catalog id outside them could never get evidence."""
    return {e.expectation_type for suite in all_suites() for e in suite.expectations}


def test_every_referenced_check_exists(checkov_tool: CheckovTool) -> None:
    """Exact ids must exist in their tool; a ``*`` reference (a whole tool or id prefix) must match one."""
    catalog = load_catalog()
    known = {
        "checkov": set(checkov_tool.known_check_ids()) | DOCKERFILE_CHECK_IDS,
        "cdk-nag": _cdk_nag_rule_ids(),
        "drill": set(DRILL_CHECK_NAMES),
        "great_expectations": _ge_expectation_types(),
    }
    assert len(known["cdk-nag"]) > 100 and len(known["checkov"]) > 100
    missing = sorted(
        f"{ref.tool}:{ref.id}"
        for ref in catalog.all_check_refs()
        if ref.tool in known and not any(ref.matches(known_id, ref.tool) for known_id in known[ref.tool])
    )
    assert missing == []
    whole_tools = {ref.tool for ref in catalog.all_check_refs() if ref.tool not in known}
    assert whole_tools == {"cfn-lint", "hadolint"}


def test_checkov_config_runs_exactly_the_catalog_checks_and_mirrors_exceptions() -> None:
    catalog = load_catalog()
    config = yaml.safe_load(CONFIG_FILE.read_text())
    catalog_checkov = {
        ref.id for ref in catalog.all_check_refs() if ref.tool == "checkov" and not ref.id.endswith("*")
    }
    assert set(config["check"]) == catalog_checkov
    assert set(config.get("skip-check") or []) == {e.id for e in catalog.exceptions if e.tool == "checkov"}
    assert config["skip-download"] is True and config["framework"] == ["cloudformation"]
