"""Auditor report speed: time of each build stage and of ``verify``, for a history of ``--drills`` drills.

Writes ``--drills`` journals (one a day, every fifth losing events; the same generator as the report
tests), the recorded checkov / cdk-nag / GE outputs into a temporary reports directory, builds the
report once and verifies it, then prints seconds per stage, the folder size and the PDF page count.

    .venv/bin/python -m benchmarks.report_build [--drills N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.evidence_samples import make_journal, write_gate_outputs, write_ge_result
from compliance.report.build import build_report
from compliance.report.manifest import verify


def _write_evidence(reports: Path, drills: int) -> None:
    for index in range(1, drills + 1):
        make_journal(index, lost=2 if index % 5 == 0 else 0, rto_s=10.0 + index % 7).write(reports / "drills")
    write_gate_outputs(reports)
    write_ge_result(reports)


def _pdf_pages(pdf: Path) -> int | None:
    """Page count by poppler's pdfinfo; None (not measured) when poppler-utils is not installed."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return None
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    return int(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drills", type=int, default=30, help="drill journals in the history (default 30)")
    args = parser.parse_args()
    console = Console()
    marks: list[tuple[str, float, float]] = []  # (stage, wall clock, process CPU)
    with tempfile.TemporaryDirectory(prefix="htdr-report-bench-") as tmp:
        reports = Path(tmp) / "reports"
        _write_evidence(reports, args.drills)
        start, start_cpu = time.monotonic(), time.process_time()
        with console.status("building") as status:

            def step(label: str) -> None:
                marks.append((label, time.monotonic(), time.process_time()))
                status.update(label)

            folder = build_report(reports, on_step=step)
        end, end_cpu = time.monotonic(), time.process_time()
        verify_start = time.monotonic()
        result = verify(folder)
        verify_s = time.monotonic() - verify_start
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        pages = _pdf_pages(folder / "report.pdf")

    table = Table(title=f"report build, {args.drills} drills in the history")
    table.add_column("stage")
    table.add_column("wall s", justify="right")
    table.add_column("CPU s", justify="right")
    for (label, at, cpu), (_n, next_at, next_cpu) in zip(
        marks, [*marks[1:], ("end", end, end_cpu)], strict=True
    ):
        table.add_row(label, f"{next_at - at:.2f}", f"{next_cpu - cpu:.2f}")
    table.add_row("[bold]build total", f"[bold]{end - start:.2f}", f"[bold]{end_cpu - start_cpu:.2f}")
    table.add_row(
        f"verify ({result.checked} files, {'OK' if result.ok else 'FAILED'})", f"{verify_s:.3f}", ""
    )
    console.print(table)
    shown = "not measured (no pdfinfo)" if pages is None else str(pages)
    console.print(f"report folder: {size / 1024:.0f} KiB, PDF pages: {shown}")


if __name__ == "__main__":
    main()
