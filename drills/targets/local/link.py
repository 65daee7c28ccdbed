"""The emulated inter-region link: a TCP proxy that delays traffic and can be cut and restored.

Without latency, loopback hides every replication loss; with it, asynchronous replication falls
behind the way a cross-region link makes it. Every chunk is held for ``latency/2`` in each direction,
order preserved and bandwidth not limited (chunks are queued, not serialised on the delay).

Control: SIGUSR1 cuts (aborts every connection, refuses new ones), SIGUSR2 restores, SIGHUP re-reads
the round-trip latency from ``<state-file>.latency`` (chunks already queued keep their release time,
so order is preserved), SIGTERM stops.
The proxy publishes its state (cut, latency, open connections) in a small JSON file that ``status``
reads and that a controller polls to know a cut has taken effect.

Run as ``python -m drills.targets.local.link --listen-port P --target-port T --latency-ms 20
--state-file F``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CHUNK = 256 * 1024


@dataclass(frozen=True)
class LinkConfig:
    """Where the link listens, what it forwards to, and how long each direction takes."""

    listen_port: int
    target_port: int
    latency_ms: float
    state_file: Path
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class LinkState:
    """What the state file says; read by ``status`` and by the controller after a signal."""

    cut: bool
    latency_ms: float
    connections: int
    pid: int

    @classmethod
    def read(cls, path: Path) -> LinkState | None:
        """The last published state, or None when the file is missing or half-written."""
        try:
            data = json.loads(path.read_text())
            return cls(
                cut=bool(data["cut"]),
                latency_ms=float(data["latency_ms"]),
                connections=int(data["connections"]),
                pid=int(data["pid"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


class Link:
    """The proxy; one instance per process."""

    def __init__(self, config: LinkConfig) -> None:
        self.config = config
        self.latency_ms = config.latency_ms
        self.cut = False
        self.transports: set[asyncio.WriteTransport] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    def publish(self) -> None:
        """Atomically rewrite the state file (rename, so a reader never sees half a file)."""
        state = {
            "cut": self.cut,
            "latency_ms": self.latency_ms,
            "connections": len(self.transports) // 2,
            "pid": os.getpid(),
            "updated": time.time(),
        }
        tmp = self.config.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.config.state_file)

    def cut_all(self) -> None:
        """Partition: drop every open connection now and refuse new ones until restored."""
        self.cut = True
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()
        self.publish()

    def restore(self) -> None:
        """Heal the partition: accept connections again (clients reconnect on their own)."""
        self.cut = False
        self.publish()

    def reload_latency(self) -> None:
        """Apply the round trip written in ``<state-file>.latency``; a bad file keeps the old value."""
        try:
            latency_ms = float(latency_file(self.config.state_file).read_text())
        except (OSError, ValueError):
            return
        if latency_ms >= 0:
            self.latency_ms = latency_ms
        self.publish()

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        """Connect to the target and pump both directions through the delay queues."""
        if self.cut:
            client_writer.transport.abort()
            return
        # The client side is registered before the target is dialled, and the cut is checked again
        # after: a partition that lands while a connection is being set up drops it too.
        self.transports.add(client_writer.transport)
        try:
            target_reader, target_writer = await asyncio.open_connection(
                self.config.host, self.config.target_port
            )
        except OSError:
            client_writer.transport.abort()
            self.transports.discard(client_writer.transport)
            return
        pair = (client_writer.transport, target_writer.transport)
        if self.cut:
            for transport in pair:
                transport.abort()
                self.transports.discard(transport)
            return
        self.transports.update(pair)
        self.publish()
        try:
            await asyncio.gather(
                self.pump(client_reader, target_writer), self.pump(target_reader, client_writer)
            )
        except (ConnectionError, OSError, asyncio.CancelledError):
            # Cancelled at shutdown: end quietly (Python 3.11's stream callback logs a re-raised cancel).
            pass
        finally:
            for transport in pair:
                transport.abort()
                self.transports.discard(transport)
            self.publish()

    async def pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Forward ``source`` to ``sink``, each chunk released ``delay_s`` after it arrived."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def receive() -> None:
            while True:
                try:
                    data = await source.read(CHUNK)
                except (ConnectionError, OSError):
                    data = b""
                queue.put_nowait((loop.time() + self.latency_ms / 2000.0, data))
                if not data:
                    return

        receiver = asyncio.create_task(receive())
        try:
            while True:
                release_at, data = await queue.get()
                wait = release_at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if sink.can_write_eof():
                        sink.write_eof()
                    return
                sink.write(data)
                await sink.drain()
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiver

    async def serve(self) -> None:
        """Listen until SIGTERM/SIGINT; SIGUSR1 cuts, SIGUSR2 restores."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, self.cut_all)
        loop.add_signal_handler(signal.SIGUSR2, self.restore)
        loop.add_signal_handler(signal.SIGHUP, self.reload_latency)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        server = await asyncio.start_server(
            self.handle, self.config.host, self.config.listen_port, reuse_address=True
        )
        self.publish()
        async with server:
            await stop.wait()
        self.cut_all()


def latency_file(state_file: Path) -> Path:
    """Where a controller writes a new round-trip latency before sending SIGHUP."""
    return state_file.with_suffix(".latency")


def parse_args(argv: list[str] | None = None) -> LinkConfig:
    """Command line of the link process (the sandbox writes it; humans rarely do)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="round trip")
    parser.add_argument("--state-file", type=Path, required=True)
    args = parser.parse_args(argv)
    return LinkConfig(
        listen_port=args.listen_port,
        target_port=args.target_port,
        latency_ms=args.latency_ms,
        state_file=args.state_file,
    )


def main(argv: list[str] | None = None) -> None:
    asyncio.run(Link(parse_args(argv)).serve())


if __name__ == "__main__":
    main()
