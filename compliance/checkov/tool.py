"""checkov's own tool environment, seen from the project's venv.

checkov pins an old boto3, so it lives in ``.tools/checkov`` and is only ever run as a subprocess: the
CLI for the gate, and ``run_checks.py`` (its real ``Runner``) for exact per-resource answers in tests
and for the list of check ids that exist.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKS_DIR = PACKAGE_DIR / "checks"
CONFIG_FILE = PACKAGE_DIR / ".checkov.yaml"
RUN_CHECKS_SCRIPT = PACKAGE_DIR / "run_checks.py"
PROJECT_ROOT = PACKAGE_DIR.parent.parent


class CheckovUnavailable(RuntimeError):
    """checkov's environment is missing or broken; the message says how to install it."""


@dataclass(frozen=True)
class ScanResult:
    """(check id, template file name, resource id) triples by outcome, from one Runner run."""

    passed: frozenset[tuple[str, str, str]]
    failed: frozenset[tuple[str, str, str]]
    parsing_errors: tuple[str, ...]


@dataclass(frozen=True)
class CheckovTool:
    """Where checkov's interpreter and CLI are; ``at(root)`` is the project's bootstrap layout."""

    python: Path
    executable: Path

    @classmethod
    def at(cls, root: Path = PROJECT_ROOT) -> CheckovTool:
        """The tool env ``scripts/bootstrap.sh`` installs under ``<root>/.tools``."""
        return cls(python=root / ".tools/checkov/bin/python", executable=root / ".tools/checkov/bin/checkov")

    def require(self) -> None:
        """Fail early, in one line, when the tool env is not installed."""
        if not self.python.exists() or not self.executable.exists():
            raise CheckovUnavailable(
                f"checkov is not installed at {self.executable.parent}; run ./dev setup"
            )

    def _run_script(self, args: Sequence[str]) -> Any:
        """Run ``run_checks.py`` under checkov's python and decode its JSON answer."""
        self.require()
        completed = subprocess.run(
            [str(self.python), str(RUN_CHECKS_SCRIPT), *args], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise CheckovUnavailable(f"checkov runner failed ({completed.returncode}): {last}")
        return json.loads(completed.stdout)

    def scan(self, files: Sequence[Path], checks: Sequence[str], checks_dir: Path = CHECKS_DIR) -> ScanResult:
        """Run checkov's CloudFormation Runner on ``files`` with only ``checks`` enabled."""
        answer = self._run_script(
            ["scan", "--checks", ",".join(checks), "--external-checks-dir", str(checks_dir), *map(str, files)]
        )
        return ScanResult(
            passed=frozenset(tuple(row) for row in answer["passed"]),
            failed=frozenset(tuple(row) for row in answer["failed"]),
            parsing_errors=tuple(answer["parsing_errors"]),
        )

    def known_check_ids(self, checks_dir: Path = CHECKS_DIR) -> dict[str, str]:
        """Every CloudFormation check id checkov knows (built-in and ours) → its name."""
        answer: dict[str, str] = self._run_script(["ids", "--external-checks-dir", str(checks_dir)])
        return answer
