"""The failures section names resource, template or stack, check, citation and fix; failed drills stay
in the report; acknowledgements are grouped by rule and reason, the reason printed once."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from benchmarks.evidence_samples import FIXTURES, GATE_SUMMARY, make_journal, write_gate_outputs
from compliance.controls.catalog import Catalog, Citation, Control, load_catalog
from compliance.report.acknowledgements import acknowledgement_groups
from compliance.report.build import build_report
from compliance.report.evidence_set import gather
from compliance.report.failures import failure_groups
from compliance.report.models import ControlStatus, Report
from tests.compliance.report.poppler import reading_text
from tests.compliance.report.test_pdf import assert_well_printed

ACK_RULE = "HIPAA.Security-S3BucketLoggingEnabled"
ACK_REASON = "Access logs go to the central trail (test)"
MANY = 22
#: Pages of the evidence set with 22 acknowledgements of one rule and reason (one drill, gate outputs).
MANY_ACKS_PAGES = 12


def _reports(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    for index, lost in ((1, 0), (2, 2)):
        make_journal(index, lost=lost).write(reports / "drills")
    write_gate_outputs(reports)
    return reports


def test_static_failures_name_resource_template_citation_and_fix(tmp_path: Path) -> None:
    catalog = load_catalog()
    groups = {g.check_id: g for g in failure_groups(catalog, gather(_reports(tmp_path)))}
    checkov = groups["CKV_AWS_21"]
    assert [(r.resource, r.template) for r in checkov.resources] == [
        ("AWS::S3::Bucket.B08E7C7AF", "tpl.json")]
    assert checkov.citations == [c.id for c in catalog.citations_for("CKV_AWS_21", "checkov")] != []
    assert checkov.citation_source == "control catalog"
    assert "versioning" in checkov.fix and "VersioningConfiguration" in checkov.fix
    nag = groups["HIPAA.Security-S3BucketVersioningEnabled"]
    assert [(r.resource, r.template) for r in nag.resources] == [("B/Resource", "stack S")]
    assert nag.check_name == "The S3 Bucket does not have versioning enabled"
    # a HIPAA rule no control cites still names its citations, from cdk-nag's own rule metadata
    public_read = groups["HIPAA.Security-S3BucketPublicReadProhibited"]
    assert public_read.citations == ["164.308(a)(3)(i)", "164.308(a)(4)(ii)(A)", "164.308(a)(4)(ii)(C)",
                                     "164.312(a)(1)", "164.312(e)(1)"]
    assert public_read.citation_source.startswith("cdk-nag rule metadata")


def test_failed_latest_drill_and_every_failed_drill_are_reported(tmp_path: Path) -> None:
    reports = _reports(tmp_path)  # run0002 lost two acknowledged events and is the latest
    groups = failure_groups(load_catalog(), gather(reports))
    drill = [g for g in groups if g.tool == "drill"]
    assert {g.check_id for g in drill} == {"zero_acknowledged_loss", "ledger_vs_store"}
    loss = next(g for g in drill if g.check_id == "zero_acknowledged_loss")
    assert loss.resources[0].resource == "primary-kill drill run0002"
    assert loss.resources[0].template == "drills/drill-primary-kill-run0002.json"
    assert loss.check_name == "observed 2 events, objective 0 events"
    make_journal(3, lost=0).write(reports / "drills")  # a later drill passes: the failed one stays listed
    out = build_report(reports, tmp_path / "out")
    model = Report.model_validate_json((out / "evidence.json").read_text())
    assert not [g for g in model.failures if g.tool == "drill"]
    assert [(h.run_id, h.failed) for h in model.failed_drills] == [
        ("run0002", ["zero_acknowledged_loss", "ledger_vs_store"])]


def test_a_gate_step_error_is_a_failure(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    summary = {**GATE_SUMMARY, "errors": ["synth failed (exit 1): environmentSuffix: missing"]}
    (reports / "compliance/gate-summary.json").write_text(json.dumps(summary))
    groups = failure_groups(load_catalog(), gather(reports))
    assert groups[0].tool == "gate" and "synth failed" in groups[0].check_name


def test_acknowledgements_grouped_by_rule_and_reason_printed_once(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    make_journal(1).write(reports / "drills")
    write_gate_outputs(reports)
    nag = json.loads((FIXTURES / "cdk-nag-validation-report.json").read_text())
    suppressed = nag["pluginReports"][0]["suppressedViolations"][0]
    assert suppressed["ruleName"] == ACK_RULE and suppressed["reason"] == ACK_REASON
    construct = suppressed["violatingConstructs"][0]
    suppressed["violatingConstructs"] = [
        {**copy.deepcopy(construct), "constructPath": f"S/Bucket{n:02d}/Resource"} for n in range(MANY)]
    (reports / "compliance/cdk-nag/validation-report.json").write_text(json.dumps(nag))

    groups = [g for g in acknowledgement_groups(load_catalog(), gather(reports)) if g.check_id == ACK_RULE]
    assert len(groups) == 1
    assert groups[0].reason == ACK_REASON and len(groups[0].resources) == MANY

    out = build_report(reports, tmp_path / "out")
    html = (out / "index.html").read_text()
    assert html.count(ACK_REASON) == 1
    assert re.search(rf'<tr class="ack-row" id="{groups[0].id}" data-check="{ACK_RULE}" '
                     rf'data-resources="{MANY}">', html)
    text = re.sub(r"\s+", " ", reading_text(out / "report.pdf"))
    assert text.count(ACK_REASON) == 1
    for n in range(MANY):
        assert f"Bucket{n:02d}/Resource" in text
    assert_well_printed(out / "report.pdf", MANY_ACKS_PAGES)


def test_a_check_of_an_engineering_control_cites_no_hipaa_paragraph(tmp_path: Path) -> None:
    """A failed hygiene check (the gate names its non-HIPAA control) says so instead of citing one."""
    reports = _reports(tmp_path)
    failure = {"tool": "checkov", "check_id": "CKV_AWS_18", "check_name": "access logging", "controls": [],
               "resource": "AWS::S3::Bucket.B08E7C7AF", "file": "tpl.json",
               "engineering": ["ENG-TEST-HYGIENE"]}
    (reports / "compliance/gate-summary.json").write_text(json.dumps({**GATE_SUMMARY, "failures": [failure]}))
    groups = {g.check_id: g for g in failure_groups(load_catalog(), gather(reports))}
    assert groups["CKV_AWS_18"].citations == []
    assert groups["CKV_AWS_18"].citation_source == "no HIPAA citation: engineering control ENG-TEST-HYGIENE"
    assert groups["CKV_AWS_21"].citation_source == "control catalog"


def test_a_failure_no_control_cites_still_fails_the_overall_status(tmp_path: Path) -> None:
    """The gate's failed checks all fall outside this catalog (one manual control): the controls read
    MANUAL, the report reads FAIL, because its failures section is not empty."""
    manual_only = Catalog(citations=[Citation(id="164.316(b)(1)", title="t", kind="standard", controls=[
        Control(id="C-MANUAL", title="t", description="t", checks=[], manual="inspect the policy")])])
    reports = tmp_path / "reports"
    write_gate_outputs(reports)
    out = build_report(reports, tmp_path / "out", catalog=manual_only)
    model = Report.model_validate_json((out / "evidence.json").read_text())
    assert [c.status for c in model.citations] == [ControlStatus.MANUAL]
    assert model.failures and all(not f.citations or f.citation_source != "control catalog"
                                  for f in model.failures)
    assert model.summary.overall is ControlStatus.FAIL
    (reports / "compliance").rename(tmp_path / "gate-elsewhere")  # no failure left: MANUAL it is
    model = Report.model_validate_json((build_report(reports, tmp_path / "out2", catalog=manual_only)
                                        / "evidence.json").read_text())
    assert model.failures == [] and model.summary.overall is ControlStatus.MANUAL
