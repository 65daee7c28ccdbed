"""Port checks: refuse to start on a busy port and wait for a started process to listen."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from drills.targets.local.errors import SandboxError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` and we could bind it ourselves."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free_ports(ports: dict[str, int]) -> None:
    """Fail before starting anything if a port is taken, naming it and the setting that moves it."""
    for name, port in ports.items():
        if not port_is_free(port):
            raise SandboxError(
                f"port {port} ({name}) is already in use: stop what listens there or choose another "
                "--port-base (HTDR_SANDBOX_PORT_BASE); 'htdr sandbox down --force' clears a stale sandbox"
            )


def is_listening(port: int, host: str = "127.0.0.1", timeout_s: float = 0.2) -> bool:
    """True when a TCP connect to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    """Poll ``check`` until true; a timeout names what never became ready."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise SandboxError(
        f"{what} did not become ready within {timeout_s:.0f} s (see its log under the state dir)"
    )
