"""One moto server over HTTP on a free loopback port, for the tests that talk to AWS APIs moto implements."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server(log_dir: Path, *, sandbox: bool = False) -> Iterator[str]:
    """The server's endpoint URL while the context lasts; its output goes to ``log_dir/moto.log``.
    ``sandbox=True`` starts it as the local sandbox does, with the sandbox's fixes to moto applied."""
    port = _free_port()
    command = (
        [
            sys.executable,
            "-m",
            "drills.targets.local.moto_server",
            "--port",
            str(port),
            "--state-dir",
            str(log_dir),
        ]
        if sandbox
        else [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)]
    )
    with (log_dir / "moto.log").open("w") as log:
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
