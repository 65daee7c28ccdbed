"""The PDF has the expected pages: one section after another, each starting on a new page, numbered.

Read with poppler's ``pdfinfo`` / ``pdftotext`` (Debian poppler-utils, installed by
scripts/install-system-packages.sh), i.e. independently of the library that wrote the PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from compliance.report.models import Report

SECTIONS = (
    "1. Summary",
    "2. Control matrix by HIPAA citation",
    "3. Latest DR drill",
    "4. Integrity results",
    "5. Drill history",
    "6. Evidence files",
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AssertionError(
            f"{name} not found on PATH: run scripts/install-system-packages.sh (installs poppler-utils)"
        )
    return found


def _page_count(pdf: Path) -> int:
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_pdf_sections_start_on_their_own_pages_in_order(built_report: Path) -> None:
    pdf = built_report / "report.pdf"
    pages = _page_count(pdf)
    texts = [_page_text(pdf, n) for n in range(1, pages + 1)]
    first_page_of = {}
    for section in SECTIONS:
        hits = [n for n, text in enumerate(texts, start=1) if section in text]
        assert hits, f"{section!r} is on no page"
        first_page_of[section] = hits[0]
    starts = [first_page_of[s] for s in SECTIONS]
    assert starts[0] == 1
    assert starts == sorted(starts) and len(set(starts)) == len(SECTIONS), starts
    for section, page in first_page_of.items():
        if section != SECTIONS[0]:  # a section opens its page: nothing but the heading above it
            assert texts[page - 1].strip().startswith(section), (section, page)
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {pages}" in text, n


def test_pdf_carries_the_control_matrix_and_latest_drill(built_report: Path) -> None:
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    pdf = built_report / "report.pdf"
    text = "\n".join(_page_text(pdf, n) for n in range(1, _page_count(pdf) + 1))
    for citation in model.citations:
        assert f"§{citation.id}" in text
        for control in citation.controls:
            assert control.id in text
    assert model.latest_drill is not None
    assert model.latest_drill.run_id in text
    assert f"Overall status {model.summary.overall.value}" in re.sub(r"\s+", " ", text)
