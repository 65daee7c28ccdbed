"""The PDF reads well on paper: failures first, sections in order, no blank page, no cell past the margin.

Read with poppler (see ``poppler.py``), independently of the library that wrote the PDF: the text of
every page, the position of every word, and how far down each page the ink goes.
"""

from __future__ import annotations

import re
from pathlib import Path

from compliance.report.models import Report
from tests.compliance.report.poppler import (
    LEFT_RIGHT_MARGIN,
    ink_fill,
    overlapping_words,
    page_texts,
    reading_text,
    words,
)

SECTIONS = (
    "1. Failures",
    "2. Summary",
    "3. Control matrix by HIPAA citation",
    "4. Acknowledged findings",
    "5. Latest DR drill",
    "6. Integrity results",
    "7. Drill history",
    "8. Evidence files",
)
#: Pages of the shared test evidence set (three drills, the recorded checkov/cdk-nag output, a GE result).
EXPECTED_PAGES = 12
#: A page (but the last) whose ink stops above this share of its content height is "nearly empty".
MIN_FILL = 0.6


def assert_well_printed(pdf: Path, pages: int) -> None:
    """``pages`` pages, none but the last nearly empty, no word past the margins or over another."""
    fills = ink_fill(pdf)
    assert len(fills) == pages, len(fills)
    for number, fill in enumerate(fills[:-1], start=1):
        assert fill >= MIN_FILL, f"page {number} is nearly empty: ink stops at {fill:.0%} of the page"
    for word in words(pdf):
        assert word.x_min >= LEFT_RIGHT_MARGIN - 1, word
        assert word.x_max <= word.page_width - LEFT_RIGHT_MARGIN + 1, word
    assert overlapping_words(pdf) == []  # no cell's text spills over its neighbour's


def test_pdf_sections_in_order_failures_first_every_page_numbered(built_report: Path) -> None:
    texts = page_texts(built_report / "report.pdf")
    assert len(texts) == EXPECTED_PAGES
    first_page_of = {}
    for section in SECTIONS:
        hits = [n for n, text in enumerate(texts, start=1) if section in text]
        assert hits, f"{section!r} is on no page"
        first_page_of[section] = hits[0]
    starts = [first_page_of[s] for s in SECTIONS]
    assert starts[0] == 1 and starts == sorted(starts), starts
    first = re.sub(r"\s+", " ", texts[0])
    assert first.index("Overall status") < first.index("1. Failures")
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text, n


def test_no_blank_page_and_no_cell_past_the_margins(built_report: Path) -> None:
    assert_well_printed(built_report / "report.pdf", EXPECTED_PAGES)


def test_failures_page_names_resource_template_citation_and_fix(built_report: Path) -> None:
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    pdf = built_report / "report.pdf"
    failures_end = next(n for n, t in enumerate(page_texts(pdf), start=1) if "2. Summary" in t)
    raw = re.sub(r"\s+", "", reading_text(pdf, 1, failures_end))  # a wrapped cell's lines joined
    versioning = next(f for f in model.failures if f.check_id == "CKV_AWS_21")
    assert versioning.citations
    assert "checkov:CKV_AWS_21" in raw
    assert "AWS::S3::Bucket.B08E7C7AF·tpl.json" in raw
    for citation in versioning.citations:
        assert f"§{citation}" in raw, citation
    assert "Makethishold:EnsuretheS3buckethasversioningenabled" in raw
    assert "B/Resource·stackS" in raw  # a cdk-nag finding: construct path inside its stack


def test_pdf_carries_the_control_matrix_and_latest_drill(built_report: Path) -> None:
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    pdf = built_report / "report.pdf"
    text = "\n".join(page_texts(pdf))
    joined = re.sub(r"\s+", "", reading_text(pdf))  # an id wrapped in its cell reads whole
    for citation in model.citations:
        assert f"§{citation.id}" in joined
        for control in citation.controls:
            assert control.id in joined
    assert model.latest_drill is not None
    assert model.latest_drill.run_id in text
    assert f"Overall status {model.summary.overall.value}" in re.sub(r"\s+", " ", text)
