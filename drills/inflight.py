"""The running drill's claim on its target: one drill at a time, and what ``recover`` needs.

- An exclusive ``flock`` on ``<lock dir>/drill.lock`` is held for the whole drill: a second drill
  on the same target is refused with the name of the running one, and the kernel releases the lock
  when the drill's process dies, even by SIGKILL, so a dead drill never blocks the next.
- The in-flight marker (``contracts.evidence_layout.inflight_marker``) names the drill, its process (pid, the
  process's start time in clock ticks since boot and its command line: a reused pid is not the
  drill), the topology the target had before the drill and the journal being written. It is
  removed once the rollbacks ran, so only a killed drill leaves it behind for ``recover``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from contracts.evidence_layout import inflight_marker
from drills.scenarios.context import PreconditionFailed

LOCK_FILE = "drill.lock"


class DrillRunning(PreconditionFailed):
    """Another drill holds the target; the message names it. Nothing was touched."""


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    start_ticks: int
    cmdline: str

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The live process ``pid`` (None when there is none, or it is a zombie)."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[-1].split()
        if fields[0] in ("Z", "X"):
            return None
        return cls(pid=pid, start_ticks=int(fields[19]), cmdline=cmdline.strip())

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "start_ticks": self.start_ticks, "cmdline": self.cmdline}


def write_marker(reports_dir: Path, data: dict[str, Any]) -> Path:
    """Atomic write of the marker with this process's identity (and its pid, as before) added."""
    path = inflight_marker(reports_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = ProcessIdentity.of(os.getpid())
    body = {**data, "pid": os.getpid(), "process": me.to_json() if me else {"pid": os.getpid()}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)
    return path


def read_marker(reports_dir: Path) -> dict[str, Any] | None:
    path = inflight_marker(reports_dir)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def marker_process_alive(marker: dict[str, Any]) -> bool:
    """True only when the marker's pid is alive AND is the same process: same start time and command
    line. A pid reused by another process after the drill died is not the drill."""
    recorded = marker.get("process") or {}
    pid = int(recorded.get("pid") or marker.get("pid") or 0)
    if not pid:
        return False
    now = ProcessIdentity.of(pid)
    if now is None:
        return False
    if "start_ticks" not in recorded:   # a marker without identity: only the pid is known
        return True
    return now.start_ticks == int(recorded["start_ticks"]) and now.cmdline == str(recorded.get("cmdline", ""))


@contextlib.contextmanager
def target_lock(lock_dir: Path, holder: dict[str, Any]) -> Iterator[None]:
    """Hold the target's drill lock for the block, or raise ``DrillRunning`` naming the holder."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / LOCK_FILE
    handle: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise DrillRunning(f"another drill is running on this target: {_describe(handle.read())}; "
                               "wait for it to finish (or stop it) and try again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({**holder, "pid": os.getpid()}))
        handle.flush()
        yield
    finally:
        handle.close()       # closing the descriptor releases the lock


def _describe(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return "holder unknown"
    return f"{data.get('scenario', '?')} (run {data.get('run_id', '?')}, pid {data.get('pid', '?')})"
