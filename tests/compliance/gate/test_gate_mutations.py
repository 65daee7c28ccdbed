"""The gate on the real app's templates, and on mutated copies: each mutation must fail the gate,
naming the check, the control and the HIPAA citation.

The app is synthesized once per session; mutations go into copies, all scanned in ONE gate run (one
sub-folder per mutation) so the test costs one synth and two checkov runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from compliance.checkov.tool import PROJECT_ROOT
from compliance.gate import GateConfig, run_gate
from compliance.gate_cli import app as gate_app
from compliance.gate_summary import GateFailure, GateSummary
from compliance.nag_findings import find_nag_report

SUFFIX = "gatetest"
CONTEXT = {"environmentSuffix": SUFFIX, "dbSecret": "htdr/db", "cacheSecret": "htdr/cache",
           "alarmEmail": "oncall@example.com"}
Template = dict[str, Any]


def _first(template: Template, resource_type: str, where: Callable[[Template], bool] = lambda r: True) -> str:
    return next(k for k, r in template["Resources"].items() if r["Type"] == resource_type and where(r))


def _rotation_off(t: Template) -> str:
    key = _first(t, "AWS::KMS::Key")
    t["Resources"][key]["Properties"]["EnableKeyRotation"] = False
    return key


def _stream_unencrypted(t: Template) -> str:
    stream = _first(t, "AWS::Kinesis::Stream")
    t["Resources"][stream]["Properties"].pop("StreamEncryption")
    return stream


def _retain_added(t: Template) -> str:
    key = _first(t, "AWS::KMS::Key")
    t["Resources"][key]["DeletionPolicy"] = "Retain"
    return key


def _tag_dropped(t: Template) -> str:
    stream = _first(t, "AWS::Kinesis::Stream")
    props = t["Resources"][stream]["Properties"]
    props["Tags"] = [tag for tag in props["Tags"] if tag["Key"] != "Owner"]
    return stream


def _replication_removed(t: Template) -> str:
    bucket = _first(t, "AWS::S3::Bucket", lambda r: "ReplicationConfiguration" in r.get("Properties", {}))
    t["Resources"][bucket]["Properties"].pop("ReplicationConfiguration")
    return bucket


#: mutation → (template it edits, edit, check that must fail, control, citation)
MUTATIONS: dict[str, tuple[str, Callable[[Template], str], str, str, str]] = {
    "rotation_off": (
        "PrimaryFoundation", _rotation_off, "CKV_HT_1", "HT-KMS-CUSTOMER-KEYS", "164.312(a)(2)(iv)"
    ),
    "encryption_removed": (
        "PrimaryServices", _stream_unencrypted, "CKV_HT_2", "HT-ENCRYPTED-STORES", "164.312(a)(2)(iv)"
    ),
    "retain_added": (
        "PrimaryFoundation", _retain_added, "CKV_HT_11", "HT-DR-REPRODUCIBLE", "164.308(a)(7)(ii)(B)"
    ),
    "tag_dropped": (
        "PrimaryServices", _tag_dropped, "CKV_HT_13", "HT-DATA-CLASSIFICATION", "164.308(a)(7)(ii)(E)"
    ),
    "replication_removed": (
        "PrimaryServices", _replication_removed, "CKV_HT_7", "HT-DR-REPLICATION", "164.308(a)(7)(ii)(B)"
    ),
}


@pytest.fixture(scope="session")
def app_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m cdk_app`` once; templates are written even when cdk-nag makes synth exit non-zero."""
    out = tmp_path_factory.mktemp("cdk") / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps(CONTEXT)}
    command = [sys.executable, "-m", "cdk_app"]
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, check=False)
    assert sorted(p.name for p in out.glob("*.template.json")), "the CDK app synthesized no template"
    return out


@pytest.fixture(scope="session")
def baseline(app_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> GateSummary:
    return run_gate(GateConfig(out_dir=tmp_path_factory.mktemp("baseline"), templates_dir=app_assembly))


@pytest.fixture(scope="session")
def mutated(
    app_assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[GateSummary, dict[str, str]]:
    """One folder per mutation, each holding one edited template; returns the summary and edited ids."""
    root = tmp_path_factory.mktemp("mutated")
    report = find_nag_report(app_assembly)
    assert report is not None
    shutil.copy2(report, root / report.name)
    edited: dict[str, str] = {}
    for name, (stack, mutate, *_rest) in MUTATIONS.items():
        template = json.loads((app_assembly / f"{stack}.template.json").read_text())
        edited[name] = mutate(template)
        (root / name).mkdir()
        (root / name / f"{stack}.template.json").write_text(json.dumps(template))
    return run_gate(GateConfig(out_dir=tmp_path_factory.mktemp("mutated-out"), templates_dir=root)), edited


def _failed(summary: GateSummary, check_id: str, resource: str, file_suffix: str) -> list[GateFailure]:
    """Failures of one check on one logical id in one template (logical ids repeat across stacks)."""
    return [
        f for f in summary.failures
        if f.check_id == check_id and f.resource.endswith(f".{resource}")
        and (f.file or "").endswith(file_suffix)
    ]


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_mutation_fails_the_gate_naming_control_and_citation(
    mutation: str, baseline: GateSummary, mutated: tuple[GateSummary, dict[str, str]]
) -> None:
    summary, edited = mutated
    stack, _mutate, check_id, control_id, citation = MUTATIONS[mutation]
    resource, template = edited[mutation], f"{stack}.template.json"
    assert _failed(baseline, check_id, resource, f"/{template}") == [], "unmutated template already fails"
    hits = _failed(summary, check_id, resource, f"/{mutation}/{template}")
    assert len(hits) == 1
    assert control_id in [c.control_id for c in hits[0].controls]
    assert citation in hits[0].citations
    assert not summary.passed and summary.exit_code != 0


def test_gate_writes_checkov_and_nag_evidence_and_a_summary(baseline: GateSummary) -> None:
    assert {"checkov/results_json.json", "checkov/results_sarif.sarif", "checkov/results_junitxml.xml",
            "gate-summary.json"} <= set(baseline.outputs)
    assert any(o.startswith("cdk-nag/") for o in baseline.outputs)
    assert baseline.checkov is not None and baseline.checkov.passed and baseline.checkov.passed > 100
    checkov_s = {t.step: t.seconds for t in baseline.timings}["checkov"]
    assert checkov_s is not None and checkov_s > 0
    print(f"\ngate timing on the app's {len(baseline.templates)} templates: checkov {checkov_s} s")


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", "--templates", str(tmp_path / "missing"), "--out", str(out)]
    result = CliRunner().invoke(gate_app, args)
    assert result.exit_code == 2
    assert "--templates" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_gate_passes_on_the_app_templates(baseline: GateSummary) -> None:
    """The unmutated app meets every control: nothing failed, nothing errored, exit status 0."""
    assert [(f.check_id, f.resource) for f in baseline.failures] == []
    assert baseline.errors == [] and baseline.passed and baseline.exit_code == 0
