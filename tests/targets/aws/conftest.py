"""Fixtures of the aws target tests: the fixture outputs file, fake credentials, a moto server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drills.targets.aws.outputs import AwsOutputs
from tests.moto_server import moto_server

FIXTURE = Path(__file__).parents[2] / "fixtures" / "aws" / "flat-outputs.json"


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard chain finds these; no real account is ever reached (Stubber or moto answers)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def outputs() -> AwsOutputs:
    return AwsOutputs.load(FIXTURE)


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One moto server over HTTP for the session (CloudFormation, CloudWatch, Secrets Manager)."""
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url
