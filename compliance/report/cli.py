"""``htdr report``: build the auditor report and verify a built one against its manifest.

Heavy modules (matplotlib, WeasyPrint) load inside the commands, so ``htdr --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from compliance.report.evidence_error import ReportError
from contracts.evidence_layout import REPORTS_DIR

if TYPE_CHECKING:
    from compliance.report.manifest import Verification

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
    signing_key: Annotated[
        str,
        typer.Option(
            "--signing-key",
            help="'auto': the key named in --outputs (ReportSigningKeyArn), if any; 'none'; or a KMS key ARN",
        ),
    ] = "auto",
    outputs: Annotated[
        Path, typer.Option("--outputs", help="Deployment outputs file read by --signing-key auto")
    ] = Path("cfn-outputs/flat-outputs.json"),
) -> None:
    """Gather drill journals, gate and integrity results into one report folder; sign its manifest."""
    from compliance.controls.catalog import CatalogError
    from compliance.report.build import build_report, manifest_digest, overall_status
    from compliance.report.signing_config import resolve_signing_key

    try:
        key = resolve_signing_key(signing_key, outputs)
        with _err.status("building the report") as status:
            folder = build_report(
                reports_dir, out, on_step=lambda label: status.update(label), signing_key=key
            )
    except (ReportError, CatalogError) as exc:
        _err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    _out.print(f"report: {folder}", highlight=False)
    _out.print(f"overall status: {overall_status(folder).value}", highlight=False)
    _out.print(
        f"manifest sha256: {manifest_digest(folder)} (keep it; 'htdr report verify --manifest-sha256')",
        highlight=False,
    )
    if key is None:
        _out.print("manifest not signed: no signing key configured (--signing-key)", highlight=False)
    else:
        _out.print(f"manifest signed with {key.key_id} ('htdr report verify --signature')", highlight=False)


@app.command("verify")
def verify_cmd(
    folder: Annotated[Path, typer.Argument(help="A report folder built by 'htdr report build'")],
    manifest_sha256: Annotated[
        str | None, typer.Option("--manifest-sha256", help="The digest printed at build time")
    ] = None,
    signature: Annotated[
        bool,
        typer.Option("--signature", help="Also verify manifest.sig.json (offline, with the public key)"),
    ] = False,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="PEM of the trusted signing key (aws kms get-public-key)"),
    ] = None,
) -> None:
    """Recompute every SHA-256 of the manifest; exit 1 naming each altered, missing or added file.

    With ``--signature``: also check the KMS signature over the manifest's digest, and report any
    failure as ONE line (a recomputed manifest fails here even when every file matches it).
    """
    from compliance.report.manifest import verify

    try:
        result = verify(folder, manifest_sha256)
    except ReportError as exc:
        _err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if signature:
        _verify_signed(folder, result, public_key)
        return
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


def _verify_signed(folder: Path, result: Verification, public_key: Path | None) -> None:
    """One line either way: OK with the signer, or FAILED with the first reason."""
    from compliance.report.signing import public_key_fingerprint, read_signature, signature_problem

    problems = [
        *(f"{path} altered" for path in result.altered),
        *(f"{path} missing" for path in result.missing),
        *(f"{path} not in the manifest" for path in result.unexpected),
        *(["manifest.json differs from --manifest-sha256"] if result.manifest_mismatch else []),
    ]
    try:
        trusted = public_key.read_text(encoding="utf-8") if public_key else None
        bad_signature = signature_problem(folder, trusted)
        record = read_signature(folder)
    except (OSError, ValueError) as exc:
        _out.print(f"FAILED: {folder}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ReportError as exc:
        _out.print(f"FAILED: {exc}", highlight=False)
        raise typer.Exit(1) from None
    if bad_signature:
        problems.insert(0, bad_signature)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        _out.print(f"FAILED: {folder}: {problems[0]}{more}", highlight=False)
        raise typer.Exit(1)
    _out.print(
        f"OK: {result.checked} files match {folder / 'manifest.json'}, signed by {record.key_id} "
        f"({record.algorithm}, public key sha256 {public_key_fingerprint(record.public_key_pem)})",
        highlight=False,
    )

