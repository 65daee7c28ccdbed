"""A moto server over HTTP for one test module: the real AWS wire protocol on loopback.

``sandbox=True`` starts it exactly as the local sandbox does (``drills.targets.local.moto_server``,
with the sandbox's fixes to moto applied); otherwise moto's own ``moto_server``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@contextmanager
def moto_server(ports: range, log_dir: Path, *, sandbox: bool = False) -> Iterator[str]:
    """Start moto on the first free port of ``ports``; yield its URL; stop it."""
    port = _free_port(ports)
    if sandbox:
        command = [sys.executable, "-m", "drills.targets.local.moto_server", "--port", str(port),
                   "--state-dir", str(log_dir)]  # fmt: skip
    else:
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)]
    log = (log_dir / "moto.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "moto server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
