"""Dockerfile checks in the gate: hadolint and checkov's Dockerfile framework on every Dockerfile found.

The repository's Dockerfiles (``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``) are found under the
project root, skipping installed tools and generated output. With none present the step is "not
evaluated", never a pass. hadolint findings of level info and above fail (hadolint's own default
failure threshold); style findings are reported only. Every failed checkov Dockerfile check fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.checkov.results import CheckovOutcome, parse_checkov_json

SKIPPED_DIRS = frozenset({".git", ".venv", ".tools", "node_modules", "cdk.out", "reports", ".sandbox"})
FAILING_LEVELS = frozenset({"error", "warning", "info"})


class DockerfileToolUnavailable(RuntimeError):
    """hadolint or checkov could not run on the Dockerfiles; the message says what to fix."""


@dataclass(frozen=True)
class HadolintFinding:
    """One hadolint finding."""

    code: str
    level: str
    message: str
    file: str
    line: int | None

    @property
    def fails(self) -> bool:
        return self.level in FAILING_LEVELS


def find_dockerfiles(root: Path) -> list[Path]:
    """Every Dockerfile under ``root``, outside tool environments and generated output."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        found += [
            Path(directory) / name
            for name in files
            if name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile")
        ]
    return sorted(found)


def run_hadolint(executable: Path, dockerfiles: Sequence[Path], out_file: Path) -> list[HadolintFinding]:
    """hadolint's JSON findings (also written to ``out_file``)."""
    try:
        completed = subprocess.run(
            [str(executable), "--format", "json", "--no-fail", *map(str, dockerfiles)],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise DockerfileToolUnavailable(f"cannot start hadolint at {executable}: {exc.strerror}") from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise DockerfileToolUnavailable(
            f"hadolint did not complete (exit {completed.returncode}): {last[:300]}"
        )
    raw = json.loads(completed.stdout or "[]")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    return [
        HadolintFinding(
            code=str(item.get("code")),
            level=str(item.get("level")),
            message=str(item.get("message")),
            file=str(item.get("file")),
            line=item.get("line") if isinstance(item.get("line"), int) else None,
        )
        for item in raw
    ]


def run_checkov_dockerfile(executable: Path, dockerfiles: Sequence[Path], out_dir: Path) -> CheckovOutcome:
    """checkov's Dockerfile framework on the files, offline; its JSON parsed."""
    command = [str(executable), "--framework", "dockerfile", "--skip-download", "--quiet", "--compact"]
    for dockerfile in dockerfiles:
        command += ["-f", str(dockerfile)]
    command += ["-o", "json", "--output-file-path", str(out_dir.resolve())]
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DockerfileToolUnavailable(f"cannot start checkov at {executable}: {exc.strerror}") from None
    results = out_dir / "results_json.json"
    if completed.returncode not in (0, 1) or not results.is_file():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise DockerfileToolUnavailable(f"checkov (dockerfile) did not complete: {last[:300]}")
    return parse_checkov_json(json.loads(results.read_text(encoding="utf-8")))
