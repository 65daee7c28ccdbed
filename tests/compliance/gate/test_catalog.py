"""The control catalog loads, covers every citation of REFERENCE.md, and never hides a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.controls.catalog import CatalogError, load_catalog

#: The 15 Security Rule paragraphs REFERENCE.md says the catalog must carry.
EXPECTED_CITATIONS = [
    "164.308(a)(1)(ii)(D)",
    "164.308(a)(7)(ii)(A)",
    "164.308(a)(7)(ii)(B)",
    "164.308(a)(7)(ii)(C)",
    "164.308(a)(7)(ii)(D)",
    "164.308(a)(7)(ii)(E)",
    "164.312(a)(1)",
    "164.312(a)(2)(iv)",
    "164.312(b)",
    "164.312(c)(1)",
    "164.312(c)(2)",
    "164.312(d)",
    "164.312(e)(1)",
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
    ids = [control.id for citation in load_catalog().citations for control in citation.controls]
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
