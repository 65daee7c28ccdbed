"""A real sandbox per test module (own port base in 18000-18999, own temporary state dir).

A module using the ``sandbox`` fixture sets ``PORT_BASE``; its sandbox is up for the module only.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from drills.scenarios.config import DrillConfig
from drills.targets.local.sandbox import SandboxSettings
from drills.targets.local_session import local_target, sandbox_settings
from drills.targets.local_target import LocalTarget

#: The drills' default link latency: a sandbox already at it is not rebuilt by ``configure``.
DRILL_LINK_MS = DrillConfig().link_latency_ms


@contextmanager
def drill_sandbox(port_base: int) -> Iterator[tuple[LocalTarget, SandboxSettings, Path]]:
    """Up for the module at the drills' default link latency, down afterwards; the root is
    traversable for PostgreSQL's OS user."""
    root = Path(tempfile.mkdtemp(prefix="htdr-drills-test-"))
    root.chmod(0o755)
    settings = replace(sandbox_settings(root / "sandbox", port_base, outputs_path=root / "flat-outputs.json"),
                       link_latency_ms=DRILL_LINK_MS)
    try:
        with local_target(settings, manage=True) as target:
            yield target, settings, root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sandbox(request: pytest.FixtureRequest) -> Iterator[tuple[LocalTarget, SandboxSettings, Path]]:
    with drill_sandbox(request.module.PORT_BASE) as env:
        yield env
