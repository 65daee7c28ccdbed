"""Helpers shared by the sandbox tests: settings in a traversable tmp dir on this helper's ports.

State dirs come from ``tempfile.mkdtemp`` under /tmp with mode 0755: pytest's own tmp dirs are 0700,
which the unprivileged PostgreSQL account (used when the suite runs as root) cannot traverse.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.credentials import Credentials

from drills.pipeline.device_fleet import DeviceFleet, SyntheticEvent
from drills.pipeline.request_signing import RequestSigner
from drills.targets.local.sandbox import Sandbox
from drills.targets.local.settings import SandboxSettings


@contextmanager
def state_root() -> Iterator[Path]:
    """A fresh 0755 directory under /tmp, removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="htdr-sbx-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def settings_in(root: Path, port_base: int, **overrides: Any) -> SandboxSettings:
    return SandboxSettings(
        state_dir=root / "state", outputs_path=root / "flat-outputs.json", port_base=port_base, **overrides
    )


@contextmanager
def running(settings: SandboxSettings) -> Iterator[Sandbox]:
    """An up sandbox that is always torn down, and proven to leave no process behind."""
    sandbox = Sandbox(settings)
    sandbox.up()
    try:
        yield sandbox
    finally:
        busy = sandbox.down(force=True)
        assert busy == [], f"ports still busy after down: {busy}"
        assert sandbox.table.strays() == []


def events(count: int, devices: int = 50, seed: int = 11) -> list[SyntheticEvent]:
    fleet = DeviceFleet(devices=devices, seed=seed)
    now = time.time()
    return [fleet.event(i, now + i / 1000) for i in range(count)]


def post(api_url: str, batch: list[SyntheticEvent], region: str = "ca-central-1") -> dict[str, Any]:
    """POST one batch, SigV4-signed for ``region``'s API (moto's credentials: any), to the ingest API;
    returns its JSON answer (raises on HTTP errors)."""
    body = json.dumps({"events": [e.payload for e in batch]}).encode()
    url = api_url.rstrip("/") + "/events"
    signer = RequestSigner(Credentials("sandbox", "sandbox"), region)
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers=signer.headers("POST", url, body, {"Content-Type": "application/json"}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def eventually(check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise AssertionError(f"{what}: not true within {timeout_s} s")
