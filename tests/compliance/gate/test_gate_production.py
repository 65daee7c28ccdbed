"""The production profile (``-c production=true``): Retain and deletion protection are the documented
production behaviour, so the environment-hygiene checks do not apply there and the gate passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.gate import GateConfig, run_gate
from compliance.gate_summary import GateSummary

pytestmark = pytest.mark.slow  # one production synth and one gate run


@pytest.fixture(scope="session")
def production_gate(
    production_assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[GateSummary, Path]:
    out = tmp_path_factory.mktemp("gate-production")
    return run_gate(GateConfig(out_dir=out, templates_dir=production_assembly, production=True)), out


def test_production_templates_do_retain_resources(production_assembly: Path) -> None:
    """The premise: production templates carry Retain (else this profile would prove nothing)."""
    retained = [
        logical_id
        for template in production_assembly.glob("*.template.json")
        for logical_id, resource in json.loads(template.read_text())["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
    ]
    assert len(retained) > 10


def test_hygiene_checks_are_not_run_in_production(production_gate: tuple[GateSummary, Path]) -> None:
    summary, out = production_gate
    assert summary.profile == "production"
    results = json.loads((out / "checkov" / "results_json.json").read_text())
    reports = results if isinstance(results, list) else [results]
    ran = {
        c["check_id"]
        for r in reports
        for kind in ("passed_checks", "failed_checks")
        for c in r["results"][kind]
    }
    assert {"CKV_HT_1", "CKV_HT_17"} <= ran
    assert not ran & {"CKV_HT_11", "CKV_HT_12"}


def test_production_profile_passes_checkov_and_cdk_nag(production_gate: tuple[GateSummary, Path]) -> None:
    summary, _out = production_gate
    assert [
        (f.tool, f.check_id, f.template, f.logical_id)
        for f in summary.failures
        if f.tool in ("checkov", "cdk-nag")
    ] == []
    nag = next(s for s in summary.tools if s.tool == "cdk-nag")
    assert nag.status == "evaluated" and nag.counts is not None and nag.counts.acknowledged


def test_production_profile_passes_the_gate(production_gate: tuple[GateSummary, Path]) -> None:
    summary, _out = production_gate
    assert [(f.tool, f.check_id, f.template, f.logical_id) for f in summary.failures] == []
    assert summary.errors == [] and summary.passed and summary.exit_code == 0


def test_default_profile_on_production_templates_flags_retain_as_hygiene_not_hipaa(
    production_assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Judged as a drill environment, Retain fails — citing no HIPAA paragraph."""
    from compliance.checkov.tool import CheckovTool

    scan = CheckovTool.at().scan([production_assembly / "PrimaryFoundation.template.json"], ["CKV_HT_11"])
    assert {row[0] for row in scan.failed} == {"CKV_HT_11"}
    from compliance.controls.catalog import load_catalog

    catalog = load_catalog()
    assert catalog.citations_for("CKV_HT_11") == []
    assert [c.id for c in catalog.engineering_controls_for("CKV_HT_11", "checkov")] == ["HT-ENV-HYGIENE"]
