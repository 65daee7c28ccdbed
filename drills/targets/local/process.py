"""Start, find and stop the sandbox's processes, each in its own session with a pid file.

Each process runs in a new session (so a killed drill or a Ctrl-C in the terminal does not take it
down) and its process group id equals its pid, so signalling the group reaches a postmaster's
backends too. Pid files let ``down`` find every process even when ``state.json`` is stale; the state
dir in each command line guards against signalling a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from drills.targets.local.errors import SandboxError


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to run a process as (PostgreSQL refuses to run as root)."""

    user: str
    uid: int
    gid: int


def unprivileged_account(user: str) -> RunAs | None:
    """The account PostgreSQL must run as: ``user`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SandboxError(
            f"running as root but OS user {user!r} does not exist: PostgreSQL refuses root, so create "
            "that user or run the sandbox as a normal user"
        ) from None
    return RunAs(user=user, uid=entry.pw_uid, gid=entry.pw_gid)


def require_traversable(path: Path, run_as: RunAs | None) -> None:
    """Fail clearly when ``run_as`` could not reach ``path`` (e.g. a state dir under a 0700 home)."""
    if run_as is None:
        return
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        if st.st_uid == run_as.uid or st.st_mode & 0o001:
            continue
        raise SandboxError(
            f"{parent} is not traversable by OS user {run_as.user!r}, which PostgreSQL runs as when the "
            f"sandbox is started by root: run 'chmod o+x {parent}' or choose a --state-dir elsewhere"
        )


def chown_tree(path: Path, run_as: RunAs | None) -> None:
    """Give ``run_as`` ownership of ``path`` and everything below it (no-op when not root)."""
    if run_as is None:
        return
    os.chown(path, run_as.uid, run_as.gid)
    for root, dirs, files in os.walk(path):
        os.chown(root, run_as.uid, run_as.gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), run_as.uid, run_as.gid, follow_symlinks=False)


def _uid(run_as: RunAs | None) -> int | None:
    return None if run_as is None else run_as.uid


def _gid(run_as: RunAs | None) -> int | None:
    return None if run_as is None else run_as.gid


def _groups(run_as: RunAs | None) -> list[int] | None:
    """No supplementary groups for the unprivileged child (root's would leak otherwise)."""
    return None if run_as is None else []


def run_tool(
    argv: list[str],
    run_as: RunAs | None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 120.0,
) -> None:
    """Run a short-lived tool (initdb, pg_basebackup); its output goes into the error if it fails."""
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout_s,
        check=False,
        user=_uid(run_as),
        group=_gid(run_as),
        extra_groups=_groups(run_as),
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise SandboxError(f"{Path(argv[0]).name} failed (exit {result.returncode}): {' | '.join(tail)}")


@dataclass(frozen=True)
class ProcessTable:
    """Where pid files and logs of one sandbox live; ``marker`` is in every managed command line."""

    run_dir: Path
    log_dir: Path
    marker: str

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def spawn(
        self,
        name: str,
        argv: list[str],
        *,
        run_as: RunAs | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start ``argv`` detached (own session), log to ``logs/<name>.log``, record its pid file."""
        if self.marker not in " ".join(argv):
            raise ValueError(f"{name}: command line must contain the state dir so it can be found again")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file(name), "ab") as log:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
                user=_uid(run_as),
                group=_gid(run_as),
                extra_groups=_groups(run_as),
            )
        self.pid_file(name).write_text(f"{proc.pid}\n")
        return proc.pid

    def pid(self, name: str) -> int | None:
        """Pid of ``name`` if its pid file names a live process of this sandbox, else None."""
        try:
            pid = int(self.pid_file(name).read_text().strip())
        except (OSError, ValueError):
            return None
        _reap(pid)
        return pid if self.is_ours(pid) else None

    def is_ours(self, pid: int) -> bool:
        """Alive (not a zombie) and started by this sandbox (marker in its command line or cwd).

        Does not reap: ``strays`` calls it on every pid, and reaping someone else's exited child
        would steal its exit status. Pids from our pid files are reaped in ``pid``.
        """
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        state = stat.rsplit(")", 1)[-1].split()[0]
        return state not in ("Z", "X") and (self.marker in cmdline or _cwd(pid).startswith(self.marker))

    def names(self) -> list[str]:
        """Every component that has a pid file (alive or not)."""
        if not self.run_dir.is_dir():
            return []
        return sorted(p.stem for p in self.run_dir.glob("*.pid"))

    def send(self, name: str, sig: signal.Signals) -> bool:
        """Signal the process group of ``name``; False if it is not running."""
        pid = self.pid(name)
        if pid is None:
            return False
        _signal_group(pid, sig)
        return True

    def kill(self, name: str) -> None:
        """SIGKILL the whole group at once (a crash, not a shutdown) and forget the pid file."""
        pid = self.pid(name)
        if pid is not None:
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, 5.0)
        self.pid_file(name).unlink(missing_ok=True)

    def stop(self, signals: dict[str, signal.Signals], grace_s: float = 5.0) -> None:
        """Ask every named process to stop with its signal at once, wait for all of them together,
        SIGKILL the groups still alive after ``grace_s``, and drop the pid files."""
        pids = {name: self.pid(name) for name in signals}
        for name, pid in pids.items():
            if pid is not None:
                _signal_group(pid, signals[name])
        deadline = time.monotonic() + grace_s
        for pid in pids.values():
            if pid is not None and not _wait_gone(pid, max(0.0, deadline - time.monotonic())):
                _signal_group(pid, signal.SIGKILL)
                _wait_gone(pid, 5.0)
        for name in signals:
            self.pid_file(name).unlink(missing_ok=True)

    def strays(self) -> list[int]:
        """Pids of live processes whose command line names this sandbox but have no pid file."""
        known = {self.pid(n) for n in self.names()}
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                pid = int(entry.name)
                if pid not in known and self.is_ours(pid):
                    found.append(pid)
        return found


def kill_pid(pid: int) -> None:
    """SIGKILL a stray process found by :meth:`ProcessTable.strays` and wait for it."""
    _signal_group(pid, signal.SIGKILL)
    _wait_gone(pid, 5.0)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def _cwd(pid: int) -> str:
    """Working directory of ``pid`` with a trailing slash; engines that rewrite their process title
    (valkey, postgres backends) are still recognised by it ("" when unreadable)."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") + os.sep
    except OSError:
        return ""


def _reap(pid: int) -> None:
    """Collect our own exited child so it does not linger as a zombie that looks alive."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _alive(pid: int) -> bool:
    _reap(pid)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return not _alive(pid)
