"""The control catalog loads, covers every citation of REFERENCE.md, and never hides a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.controls.catalog import CatalogError, load_catalog

#: The Security Rule paragraphs the catalog must carry: REFERENCE.md's 15 and the contingency-plan
#: standard, unique user identification, emergency access, automatic logoff and in-transit integrity.
EXPECTED_CITATIONS = [
    "164.308(a)(1)(ii)(D)",
    "164.308(a)(7)(i)",
    "164.308(a)(7)(ii)(A)",
    "164.308(a)(7)(ii)(B)",
    "164.308(a)(7)(ii)(C)",
    "164.308(a)(7)(ii)(D)",
    "164.308(a)(7)(ii)(E)",
    "164.312(a)(1)",
    "164.312(a)(2)(i)",
    "164.312(a)(2)(ii)",
    "164.312(a)(2)(iii)",
    "164.312(a)(2)(iv)",
    "164.312(b)",
    "164.312(c)(1)",
    "164.312(c)(2)",
    "164.312(d)",
    "164.312(e)(1)",
    "164.312(e)(2)(i)",
    "164.312(e)(2)(ii)",
    "164.316(b)(2)(i)",
]


def test_catalog_carries_every_citation_once_in_order() -> None:
    catalog = load_catalog()
    assert [c.id for c in catalog.citations] == EXPECTED_CITATIONS


def test_every_citation_has_a_control_and_every_gap_says_what_to_inspect() -> None:
    catalog = load_catalog()
    for citation in catalog.citations:
        assert citation.controls, citation.id
        for control in citation.controls:
            if control.is_manual:
                assert control.manual and len(control.manual) > 20, control.id


def test_control_ids_are_unique() -> None:
    catalog = load_catalog()
    ids = [control.id for citation in catalog.citations for control in citation.controls]
    ids += [control.id for control in catalog.engineering]
    assert len(ids) == len(set(ids))


def test_check_lookup_returns_the_citations_it_evidences() -> None:
    catalog = load_catalog()
    assert [c.id for c in catalog.citations_for("CKV_HT_1")] == ["164.312(a)(2)(iv)"]
    assert [c.id for c in catalog.citations_for("rto_within_objective", "drill")] == [
        "164.308(a)(7)(ii)(C)",
        "164.308(a)(7)(ii)(D)",
    ]
    assert catalog.citations_for("CKV_HT_1", "cdk-nag") == []
    assert catalog.citations_for("NOT_A_CHECK") == []


def test_malformed_catalog_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("citations:\n  - id: x\n    title: t\n    kind: optional\n    controls: []\n")
    with pytest.raises(CatalogError, match=r"bad.yaml: citations.0.kind: .*fix that entry"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read it"):
        load_catalog(tmp_path / "missing.yaml")


#: One failing property flags only the citations it belongs to (the checks were split for this).
PRECISE_MAPPINGS = {
    "CKV_HT_3": ["164.312(e)(1)", "164.312(e)(2)(i)", "164.312(e)(2)(ii)"],  # force_ssl: transit only
    "CKV_HT_18": ["164.308(a)(7)(ii)(B)"],  # global_db_rpo: the DR plan only
    "CKV_HT_5": ["164.312(e)(1)", "164.312(e)(2)(i)", "164.312(e)(2)(ii)"],  # cache TLS
    "CKV_HT_20": ["164.312(d)"],  # cache AUTH: authentication only
    "CKV_HT_17": ["164.312(a)(2)(iv)"],  # customer keys: encryption at rest only
    "CKV_HT_7": ["164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"],  # S3 RTC replication: not in transit
    "CKV_HT_10": ["164.316(b)(2)(i)"],  # log retention only
    "CKV_HT_16": ["164.308(a)(7)(ii)(A)"],
}


def test_each_check_cites_only_what_its_failing_property_endangers() -> None:
    catalog = load_catalog()
    for check_id, citations in PRECISE_MAPPINGS.items():
        assert [c.id for c in catalog.citations_for(check_id, "checkov")] == citations, check_id


def test_hygiene_checks_cite_no_hipaa_control_and_skip_production() -> None:
    catalog = load_catalog()
    for check_id in ("CKV_HT_11", "CKV_HT_12"):
        assert catalog.citations_for(check_id) == []
        assert [c.id for c in catalog.engineering_controls_for(check_id, "checkov")] == ["HT-ENV-HYGIENE"]
    production = catalog.checks_for_profile("checkov", "production")
    everywhere = catalog.checks_for_profile("checkov", "non-production")
    assert set(everywhere) - set(production) == {"CKV_HT_11", "CKV_HT_12"}


def test_new_citations_say_what_to_inspect() -> None:
    catalog = load_catalog()
    by_id = {c.id: c for c in catalog.citations}
    for citation in ("164.308(a)(7)(i)", "164.312(a)(2)(i)", "164.312(a)(2)(ii)", "164.312(a)(2)(iii)"):
        assert all(control.is_manual and control.manual for control in by_id[citation].controls), citation
    assert not all(control.is_manual for control in by_id["164.312(e)(2)(i)"].controls)


def test_the_backup_claim_and_its_check_read_one_number() -> None:
    """The RDSInBackupPlan acknowledgement's "N-day automated backups" is what CKV_HT_16 enforces."""
    from cdk_app.nag_acknowledgements import ACKNOWLEDGEMENTS
    from compliance.checkov.tool import CHECKS_DIR
    from contracts.retention import AURORA_BACKUP_RETENTION_DAYS

    claim = next(a for a in ACKNOWLEDGEMENTS if a.rule.endswith("RDSInBackupPlan"))
    assert f"{AURORA_BACKUP_RETENTION_DAYS}-day automated backups" in claim.reason
    check_source = (CHECKS_DIR / "AuroraBackupRetention.py").read_text()
    assert "from contracts.retention import AURORA_BACKUP_RETENTION_DAYS" in check_source
    assert "35" not in check_source  # the number lives in contracts only
