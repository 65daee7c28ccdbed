"""The report's SHA-256 manifest and its verification: how an auditor knows nothing changed since.

``manifest.json`` lists every file of the report folder but itself (copied evidence, ``evidence.json``,
``index.html``, ``report.pdf``) with its SHA-256 and size. Verification recomputes them and names every
file that was altered, removed, or added. Whoever can rewrite the files can rewrite the manifest too,
so its own digest is printed at build time for the auditor to keep, and ``verify`` can check it; when a
signing key is configured, the digest is also signed (``signing.py``, ``manifest.sig.json``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from compliance.report.evidence_error import ReportError

MANIFEST = "manifest.json"
#: The manifest's signature (compliance.report.signing); written after the manifest, so not listed in it.
SIGNATURE = "manifest.sig.json"
ALGORITHM = "sha256"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (evidence such as Data Docs can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(report_dir: Path) -> str:
    """Hash every file under ``report_dir`` into ``manifest.json``; returns the manifest's own SHA-256."""
    files = {
        rel: {"sha256": sha256_file(report_dir / rel), "bytes": (report_dir / rel).stat().st_size}
        for rel in _files(report_dir)
    }
    body = {"algorithm": ALGORITHM, "files": files}
    (report_dir / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return sha256_file(report_dir / MANIFEST)


@dataclass(frozen=True)
class Verification:
    checked: int
    altered: list[str]
    missing: list[str]
    unexpected: list[str]
    manifest_mismatch: bool = False

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.unexpected or self.manifest_mismatch)


def verify(report_dir: Path, expected_manifest_sha256: str | None = None) -> Verification:
    """Recompute every digest of the manifest and compare; also flag files the manifest does not list."""
    manifest_path = report_dir / MANIFEST
    if not report_dir.is_dir():
        raise ReportError(
            f"report folder {report_dir}: not a directory; pass the folder 'htdr report build' printed"
        )
    try:
        listed = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        raise ReportError(
            f"{manifest_path}: missing; this folder is not a built report (or its manifest was removed)"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise ReportError(
            f"{manifest_path}: not a report manifest (unreadable JSON or no 'files'); rebuild the report"
        ) from None
    altered, missing = [], []
    for rel, entry in sorted(listed.items()):
        path = report_dir / rel
        if not path.is_file():
            missing.append(rel)
        elif sha256_file(path) != entry.get("sha256"):
            altered.append(rel)
    unexpected = [rel for rel in _files(report_dir) if rel not in listed]
    mismatch = (
        expected_manifest_sha256 is not None
        and sha256_file(manifest_path) != expected_manifest_sha256.strip().lower()
    )
    return Verification(
        checked=len(listed),
        altered=altered,
        missing=missing,
        unexpected=unexpected,
        manifest_mismatch=mismatch,
    )


def _files(report_dir: Path) -> list[str]:
    """Every regular file under the folder (POSIX relative paths), the manifest and its signature
    excluded."""
    return sorted(
        p.relative_to(report_dir).as_posix()
        for p in report_dir.rglob("*")
        if p.is_file() and p.relative_to(report_dir).as_posix() not in (MANIFEST, SIGNATURE)
    )
