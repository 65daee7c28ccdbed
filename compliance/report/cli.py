"""``htdr report``: build the auditor report and verify a built one against its manifest.

Heavy modules (matplotlib, WeasyPrint) load inside the commands, so ``htdr --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from compliance.report.evidence_error import ReportError
from contracts.evidence_layout import REPORTS_DIR

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Auditor report: HTML + PDF + JSON evidence with a SHA-256 manifest.",
)
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


@app.command("build")
def build(
    reports_dir: Annotated[
        Path, typer.Option("--reports-dir", help="Where drills and the gate wrote evidence")
    ] = REPORTS_DIR,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder to create (default reports/report-<UTC time>)")
    ] = None,
) -> None:
    """Gather drill journals, gate and integrity results into one report folder."""
    from compliance.controls.catalog import CatalogError
    from compliance.report.build import build_report, manifest_digest, overall_status

    try:
        with _err.status("building the report") as status:
            folder = build_report(reports_dir, out, on_step=lambda label: status.update(label))
    except (ReportError, CatalogError) as exc:
        _err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    _out.print(f"report: {folder}", highlight=False)
    _out.print(f"overall status: {overall_status(folder).value}", highlight=False)
    _out.print(
        f"manifest sha256: {manifest_digest(folder)} (keep it; 'htdr report verify --manifest-sha256')",
        highlight=False,
    )


@app.command("verify")
def verify_cmd(
    folder: Annotated[Path, typer.Argument(help="A report folder built by 'htdr report build'")],
    manifest_sha256: Annotated[
        str | None, typer.Option("--manifest-sha256", help="The digest printed at build time")
    ] = None,
) -> None:
    """Recompute every SHA-256 of the manifest; exit 1 naming each altered, missing or added file."""
    from compliance.report.manifest import verify

    try:
        result = verify(folder, manifest_sha256)
    except ReportError as exc:
        _err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if result.ok:
        _out.print(f"OK: {result.checked} files match {folder / 'manifest.json'}", highlight=False)
        return
    for label, paths in (
        ("ALTERED", result.altered),
        ("MISSING", result.missing),
        ("NOT IN MANIFEST", result.unexpected),
    ):
        for path in paths:
            _out.print(f"{label}: {path}", highlight=False)
    if result.manifest_mismatch:
        _out.print("ALTERED: manifest.json (its SHA-256 differs from --manifest-sha256)", highlight=False)
    raise typer.Exit(1)
