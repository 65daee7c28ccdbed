"""Control statuses judged from real checkov / cdk-nag / GE output and journals built from the models."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.evidence_samples import make_journal, write_gate_outputs, write_ge_result
from compliance.controls.catalog import Catalog, CheckException, CheckRef, Citation, Control
from compliance.report.control_matrix import control_matrix
from compliance.report.evidence_set import gather
from compliance.report.models import ControlRow, ControlStatus, worst

NAG_ACK_REASON = "Access logs go to the central trail (test)"
CHECKOV_SKIP_REASON = "Test queue carries no PHI (test data)"


def _catalog(*controls: Control, exceptions: list[CheckException] | None = None) -> Catalog:
    return Catalog(
        citations=[
            Citation(id="164.312(x)", title="Test citation", kind="standard", controls=list(controls))
        ],
        exceptions=exceptions or [],
    )


def _control(cid: str, *checks: tuple[str, str], manual: str | None = None) -> Control:
    return Control(
        id=cid,
        title=cid,
        description="test control",
        checks=[CheckRef(tool=tool, id=check_id) for tool, check_id in checks],  # type: ignore[arg-type]
        manual=manual,
    )


def _judge(
    reports: Path, *controls: Control, exceptions: list[CheckException] | None = None
) -> dict[str, ControlRow]:
    rows = control_matrix(_catalog(*controls, exceptions=exceptions), gather(reports))
    return {c.id: c for c in rows[0].controls}


def test_checkov_pass_fail_and_skip_comment_become_statuses_and_exceptions(tmp_path: Path) -> None:
    write_gate_outputs(tmp_path)
    got = _judge(
        tmp_path,
        _control("failed", ("checkov", "CKV_AWS_53")),
        _control("passed", ("checkov", "CKV_AWS_19")),
        _control("skipped", ("checkov", "CKV_AWS_27")),
        _control("never-ran", ("checkov", "CKV_AWS_999")),
    )
    assert got["failed"].status == ControlStatus.FAIL
    assert got["passed"].status == ControlStatus.PASS
    skipped = got["skipped"]
    assert skipped.status == ControlStatus.PASS
    assert [(e.resource, e.reason) for e in skipped.exceptions] == [
        ("AWS::SQS::Queue.Q63C6E3AB", CHECKOV_SKIP_REASON)
    ]
    assert got["never-ran"].status == ControlStatus.NO_EVIDENCE


def test_skip_without_a_reason_fails(tmp_path: Path) -> None:
    write_gate_outputs(tmp_path)
    path = tmp_path / "compliance/checkov/results_json.json"
    raw = json.loads(path.read_text())
    raw["results"]["skipped_checks"][0]["check_result"]["suppress_comment"] = ""
    path.write_text(json.dumps(raw))
    got = _judge(tmp_path, _control("skipped", ("checkov", "CKV_AWS_27")))
    assert got["skipped"].status == ControlStatus.FAIL


def test_cdk_nag_violation_acknowledgement_and_pack_not_run(tmp_path: Path) -> None:
    write_gate_outputs(tmp_path)
    got = _judge(
        tmp_path,
        _control("violated", ("cdk-nag", "HIPAA.Security-S3BucketVersioningEnabled")),
        _control("acked", ("cdk-nag", "HIPAA.Security-S3BucketLoggingEnabled")),
        _control("clean", ("cdk-nag", "HIPAA.Security-RDSInstancePublicAccess")),
        _control("no-pack", ("cdk-nag", "NIST.800.53.R5-S3BucketLoggingEnabled")),
    )
    assert got["violated"].status == ControlStatus.FAIL
    acked = got["acked"]
    assert acked.status == ControlStatus.PASS
    assert [(e.resource, e.reason) for e in acked.exceptions] == [("S/B/Resource", NAG_ACK_REASON)]
    assert got["clean"].status == ControlStatus.PASS
    assert got["no-pack"].status == ControlStatus.NO_EVIDENCE


def test_missing_gate_outputs_mean_no_evidence_not_pass(tmp_path: Path) -> None:
    make_journal(1).write(tmp_path / "drills")
    got = _judge(
        tmp_path,
        _control("ckv", ("checkov", "CKV_AWS_19")),
        _control("nag", ("cdk-nag", "HIPAA.Security-RDSInstancePublicAccess")),
        _control("ge", ("great_expectations", "expect_column_values_to_not_be_null")),
        _control("mixed", ("drill", "rto_within_objective"), ("checkov", "CKV_AWS_19")),
    )
    assert {k: v.status for k, v in got.items()} == {
        "ckv": ControlStatus.NO_EVIDENCE,
        "nag": ControlStatus.NO_EVIDENCE,
        "ge": ControlStatus.NO_EVIDENCE,
        "mixed": ControlStatus.NO_EVIDENCE,
    }


def test_drill_objectives_come_from_the_latest_journal(tmp_path: Path) -> None:
    make_journal(1, lost=0).write(tmp_path / "drills")
    make_journal(2, lost=3).write(tmp_path / "drills")  # newer, lost events
    got = _judge(
        tmp_path,
        _control("loss", ("drill", "zero_acknowledged_loss")),
        _control("rto", ("drill", "rto_within_objective")),
    )
    assert got["loss"].status == ControlStatus.FAIL
    assert "run0002" in got["loss"].checks[0].summary
    assert got["rto"].status == ControlStatus.PASS


def test_unmeasured_rto_fails_its_objective(tmp_path: Path) -> None:
    make_journal(1, rto_s=None).write(tmp_path / "drills")
    got = _judge(tmp_path, _control("rto", ("drill", "rto_within_objective")))
    assert got["rto"].status == ControlStatus.FAIL
    assert "not measured" in got["rto"].checks[0].summary


def test_great_expectations_by_expectation_type(tmp_path: Path) -> None:
    write_ge_result(tmp_path)
    path = tmp_path / "integrity/store_integrity.json"
    raw = json.loads(path.read_text())
    raw["results"][2]["success"] = False  # expect_column_values_to_be_between not met
    path.write_text(json.dumps(raw))
    got = _judge(
        tmp_path,
        _control("unique", ("great_expectations", "expect_compound_columns_to_be_unique")),
        _control("between", ("great_expectations", "expect_column_values_to_be_between")),
    )
    assert got["unique"].status == ControlStatus.PASS
    assert got["between"].status == ControlStatus.FAIL


def test_manual_control_and_worst_of_citation(tmp_path: Path) -> None:
    write_gate_outputs(tmp_path)
    catalog = _catalog(
        _control("ok", ("checkov", "CKV_AWS_19")),
        _control("by-hand", manual="The runbook and its last review date."),
    )
    row = control_matrix(catalog, gather(tmp_path))[0]
    assert [c.status for c in row.controls] == [ControlStatus.PASS, ControlStatus.MANUAL]
    assert row.controls[1].manual == "The runbook and its last review date."
    assert row.status == ControlStatus.MANUAL
    assert (
        worst([ControlStatus.PASS, ControlStatus.NO_EVIDENCE, ControlStatus.MANUAL])
        == ControlStatus.NO_EVIDENCE
    )
    assert worst([ControlStatus.NO_EVIDENCE, ControlStatus.FAIL]) == ControlStatus.FAIL


def test_catalog_exception_is_listed_with_its_reason(tmp_path: Path) -> None:
    write_gate_outputs(tmp_path)
    reason = "Queue holds only drill control messages (test)"
    got = _judge(
        tmp_path,
        _control("excepted", ("checkov", "CKV_AWS_999")),
        exceptions=[CheckException(tool="checkov", id="CKV_AWS_999", reason=reason)],
    )
    excepted = got["excepted"]
    assert excepted.status == ControlStatus.PASS
    assert [(e.source, e.reason) for e in excepted.exceptions] == [("control catalog", reason)]


def test_a_prohibition_passes_when_checkov_found_no_such_resource(tmp_path: Path) -> None:
    """A check that fails every resource of a forbidden kind passes when checkov saw none of that kind;
    any other check without a reported resource stays NO EVIDENCE."""
    write_gate_outputs(tmp_path)
    prohibition = Control(id="C-NONE", title="no secret created", description="test",
                          checks=[CheckRef(tool="checkov", id="CKV_HT_22", absent_passes=True)])
    rows = _judge(tmp_path, prohibition, _control("C-REQ", ("checkov", "CKV_HT_22")))
    assert rows["C-NONE"].status is ControlStatus.PASS
    assert rows["C-NONE"].checks[0].summary == "no resource of the prohibited kind in the scanned templates"
    assert rows["C-NONE"].checks[0].evidence == ["evidence/compliance/checkov/results_json.json"]
    assert rows["C-REQ"].status is ControlStatus.NO_EVIDENCE
    failing = Control(id="C-FAIL", title="t", description="t",
                      checks=[CheckRef(tool="checkov", id="CKV_AWS_21", absent_passes=True)])
    assert _judge(tmp_path, failing)["C-FAIL"].status is ControlStatus.FAIL  # found and failed: FAIL
