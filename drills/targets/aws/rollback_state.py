"""The rollback state file: every AWS action's undo, saved before the action starts.

One JSON file per deployment (``<reports>/drills/aws-rollback-<suffix>.json``). ``push`` adds an
entry before an action runs; ``done`` removes it once its rollback ran. A drill killed mid-fault
leaves its pending entries behind, and ``htdr drill recover --target aws`` runs them newest first.
Written atomically (temporary file + rename): a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drills.targets.aws.codec import from_json, to_json
from drills.targets.aws.steps import Step


class PendingRollbacks(ValueError):
    """A drill's rollbacks are still pending: recover before starting another drill."""


@dataclass(frozen=True)
class PendingRollback:
    """The undo of one action that ran (or was about to run) and was not rolled back yet."""

    id: int
    action: str
    undo: str
    steps: tuple[Step, ...]


def state_path(reports_dir: Path, suffix: str) -> Path:
    return reports_dir / "drills" / f"aws-rollback-{suffix}.json"


class RollbackState:
    """The pending rollbacks of one deployment; ``drill`` names the run that owns them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def refuse_if_pending(self) -> None:
        """Refuses while another drill's rollbacks are still pending (recover first)."""
        if self.pending():
            raise PendingRollbacks(
                f"{self.path} holds rollbacks of an interrupted drill: run "
                "`htdr drill recover --target aws` first"
            )

    def begin(self, run_id: str, scenario: str) -> None:
        """Start a drill's record; refuses while another drill's rollbacks are still pending."""
        self.refuse_if_pending()
        self._write({"run_id": run_id, "scenario": scenario, "pid": os.getpid(), "pending": []})

    def push(self, action: str, undo: str, steps: tuple[Step, ...]) -> int:
        data = self._read()
        entry_id = 1 + max((int(e["id"]) for e in data["pending"]), default=0)
        data["pending"].append(
            {"id": entry_id, "action": action, "undo": undo, "steps": [to_json(s) for s in steps]}
        )
        self._write(data)
        return entry_id

    def done(self, entry_id: int) -> None:
        data = self._read()
        data["pending"] = [e for e in data["pending"] if int(e["id"]) != entry_id]
        self._write(data)

    def pending(self) -> list[PendingRollback]:
        """Oldest first, as the actions ran."""
        return [
            PendingRollback(
                id=int(e["id"]),
                action=e["action"],
                undo=e["undo"],
                steps=tuple(from_json(s) for s in e["steps"]),
            )
            for e in self._read()["pending"]
        ]

    def owner(self) -> dict[str, Any]:
        """run_id, scenario and pid of the drill that wrote the file (empty when there is none)."""
        return {k: v for k, v in self._read().items() if k != "pending"}

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"pending": []}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
