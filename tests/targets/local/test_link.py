"""The link proxy as a real process: it delays by the configured round trip, cuts and restores."""

from __future__ import annotations

import asyncio
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drills.targets.local.link import LinkState, latency_file
from drills.targets.local.ports import is_listening, wait_until

LINK_PORT, ECHO_PORT = 16950, 16951
LATENCY_MS = 40.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture(scope="module")
def echo() -> Iterator[None]:
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", ECHO_PORT), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def link(
    echo: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    state_file = tmp_path_factory.mktemp("link") / "link.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drills.targets.local.link",
            "--listen-port",
            str(LINK_PORT),
            "--target-port",
            str(ECHO_PORT),
            "--latency-ms",
            str(LATENCY_MS),
            "--state-file",
            str(state_file),
        ],
    )
    wait_until(lambda: is_listening(LINK_PORT), 15, "link")
    yield proc, state_file
    proc.terminate()
    proc.wait(10)


def _round_trip_s(sock: socket.socket, payload: bytes = b"ping") -> float:
    start = time.perf_counter()
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("link closed the connection")
        received += chunk
    assert received == payload
    return time.perf_counter() - start


def _wait_cut(state_file: Path, cut: bool) -> None:
    wait_until(lambda: (s := LinkState.read(state_file)) is not None and s.cut == cut, 5, "link state")


def test_round_trip_pays_the_latency_and_keeps_order(link: tuple[subprocess.Popen[bytes], Path]) -> None:
    with socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5) as sock:
        trips = [_round_trip_s(sock) for _ in range(5)]
        big = bytes(range(256)) * 4096  # 1 MiB in many chunks: order and content must survive
        _round_trip_s(sock, big)
    assert min(trips) >= LATENCY_MS / 1000 * 0.95


def test_throughput_is_not_serialised_on_the_delay(link: tuple[subprocess.Popen[bytes], Path]) -> None:
    """Many small writes in flight at once take ~one round trip, not one round trip each."""
    with socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5) as sock:
        start = time.perf_counter()
        for _ in range(50):
            sock.sendall(b"x" * 100)
        received = 0
        while received < 5000:
            received += len(sock.recv(65536))
        elapsed = time.perf_counter() - start
    assert elapsed < 50 * LATENCY_MS / 1000 / 2


def test_cut_drops_connections_and_refuses_new_ones_until_restored(
    link: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, state_file = link
    sock = socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5)
    _round_trip_s(sock)
    # The earlier tests' connections close asynchronously in the link: wait until only ours is left.
    wait_until(lambda: (s := LinkState.read(state_file)) is not None and s.connections == 1, 5,
               "one open connection")
    proc.send_signal(signal.SIGUSR1)
    _wait_cut(state_file, True)
    with pytest.raises(OSError):
        _round_trip_s(sock)
    sock.close()
    with socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5) as fresh, pytest.raises(OSError):
        _round_trip_s(fresh)
    proc.send_signal(signal.SIGUSR2)
    _wait_cut(state_file, False)
    with socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5) as healed:
        assert _round_trip_s(healed) >= LATENCY_MS / 1000 * 0.95


def test_latency_changes_at_run_time_on_sighup(link: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, state_file = link
    slower = LATENCY_MS * 3
    latency_file(state_file).write_text(f"{slower}")
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: (s := LinkState.read(state_file)) is not None and s.latency_ms == slower, 5, "reload")
    with socket.create_connection(("127.0.0.1", LINK_PORT), timeout=5) as sock:
        assert _round_trip_s(sock) >= slower / 1000 * 0.95
    latency_file(state_file).write_text(f"{LATENCY_MS}")
    proc.send_signal(signal.SIGHUP)
    wait_until(
        lambda: (s := LinkState.read(state_file)) is not None and s.latency_ms == LATENCY_MS, 5, "reload"
    )


def test_a_cut_landing_while_a_connection_is_being_set_up_drops_it_too(
    echo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cut is placed, not timed: it lands inside the proxy's dial to the target, the one instant
    where a connection is accepted but not yet forwarding. It must not survive the partition."""
    from drills.targets.local import link as link_module

    proxy = link_module.Link(link_module.LinkConfig(0, ECHO_PORT, 0.0, tmp_path / "link.json"))
    real_dial = asyncio.open_connection

    async def dial_then_cut(*args: object, **kwargs: object) -> object:
        opened = await real_dial(*args, **kwargs)  # type: ignore[arg-type]
        proxy.cut_all()
        return opened

    async def scenario() -> bytes:
        server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setattr(link_module.asyncio, "open_connection", dial_then_cut)
        reader, writer = await real_dial("127.0.0.1", port)
        writer.write(b"ping")
        try:
            data = await asyncio.wait_for(reader.read(4), 5)   # b"" (closed) if the cut held
        except ConnectionResetError:
            data = b""                                         # aborted: the cut held
        writer.close()
        server.close()
        return data

    assert asyncio.run(scenario()) == b""
    assert proxy.transports == set()
