"""The deployment under test, seen through its flat outputs: ``cfn-outputs/flat-outputs.json`` (what
``python -m cdk_app.flat_outputs`` writes after a deploy, or a running sandbox's), ``HTDR_OUTPUTS_FILE``
to read another file, or else (no file, or a sandbox's file whose sandbox is gone) a local sandbox
started for this session on ports 16500-16509 and torn down afterwards."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from contracts.outputs import RegionalKey, Side
from tests.integration.deployment import Deployment
from tests.targets.local.conftest import running, settings_in, state_root

PORT_BASE = 16500
DEFAULT_OUTPUTS = Path(__file__).resolve().parents[2] / "cfn-outputs" / "flat-outputs.json"


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    override = os.environ.get("HTDR_OUTPUTS_FILE")
    if override and not Path(override).is_file():
        pytest.fail(f"HTDR_OUTPUTS_FILE={override} does not exist; point it at a flat-outputs.json")
    given = Path(override or DEFAULT_OUTPUTS)
    found = Deployment.load(given) if given.is_file() else None
    if found is not None and (override or _answers(found)):
        if not all(found.on_aws(side) for side in Side):
            _sandbox_credentials()
        yield found
        return
    _sandbox_credentials()
    with state_root() as root, running(settings_in(root, PORT_BASE)) as sandbox:
        yield Deployment.load(sandbox.settings.outputs_path)


def _answers(deployment: Deployment) -> bool:
    """A deployment on AWS, or a sandbox whose AWS endpoint is listening: the default outputs file
    can be left behind by a sandbox that is gone, and then a fresh sandbox is the honest target."""
    if deployment.on_aws(Side.PRIMARY):
        return True
    endpoint = urlsplit(deployment.get(Side.PRIMARY, RegionalKey.AWS_ENDPOINT_URL))
    try:
        with socket.create_connection((endpoint.hostname or "", endpoint.port or 80), timeout=1):
            return True
    except OSError:
        return False


def _sandbox_credentials() -> None:
    """moto accepts any credentials; boto3 and the request signer still want some (set only when
    the deployment is a sandbox)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "sandbox")
