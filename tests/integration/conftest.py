"""The deployment under test: ``HTDR_OUTPUTS_FILE`` (a real deployment's flat outputs), or else a
local sandbox started for this session on ports 16500-16509 and torn down afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deployment import Deployment
from tests.targets.local.conftest import running, settings_in, state_root

PORT_BASE = 16500


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    given = os.environ.get("HTDR_OUTPUTS_FILE")
    if given:
        yield Deployment.load(Path(given))
        return
    # moto accepts any credentials; boto3 still wants some (set only when testing the sandbox).
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "sandbox")
    with state_root() as root, running(settings_in(root, PORT_BASE)) as sandbox:
        yield Deployment.load(sandbox.settings.outputs_path)
