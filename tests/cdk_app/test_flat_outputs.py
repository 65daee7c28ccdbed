"""flat_outputs against a real moto server over HTTP (CloudFormation DescribeStacks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cdk_app.flat_outputs import STACK_ROLES, FlatOutputsRequest, main, stack_locations
from contracts.outputs import all_keys
from tests.moto_server import moto_server

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)


def _deploy(url: str, suffix: str, keys_per_stack: list[list[str]]) -> None:
    """Create one stack per location whose outputs are the given keys (value = key.lower())."""
    request = FlatOutputsRequest(suffix=suffix)
    for (stack_name, region), keys in zip(stack_locations(request), keys_per_stack, strict=True):
        template = {
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {key: {"Value": key.lower()} for key in keys},
        }
        cfn = boto3.client("cloudformation", region_name=region, endpoint_url=url)
        cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))


def _split(keys: list[str]) -> list[list[str]]:
    stacks = len(STACK_ROLES)
    return [keys[i::stacks] for i in range(stacks)]


def test_writes_every_contract_key_from_every_stack(moto_url: str, tmp_path: Path) -> None:
    keys = sorted(all_keys())
    _deploy(moto_url, "flat1", [[*part, "ExportsOutputRefSomething"] for part in _split(keys)])
    out = tmp_path / "cfn-outputs" / "flat-outputs.json"
    code = main(["--suffix", "flat1", "--out", str(out), "--endpoint-url", moto_url])
    assert code == 0
    flat = json.loads(out.read_text())
    assert set(flat) == set(keys)
    assert flat["DrStreamName"] == "drstreamname"


def test_missing_key_writes_nothing(
    moto_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = sorted(all_keys() - {"DrDbWriterEndpoint"})
    _deploy(moto_url, "flat2", _split(keys))
    out = tmp_path / "flat-outputs.json"
    assert main(["--suffix", "flat2", "--out", str(out), "--endpoint-url", moto_url]) == 2
    assert not out.exists()
    message = capsys.readouterr().err.strip()
    assert message.count("\n") == 0 and "DrDbWriterEndpoint" in message


def test_missing_stack_is_one_line(moto_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flat-outputs.json"
    assert main(["--suffix", "nothere", "--out", str(out), "--endpoint-url", moto_url]) == 2
    message = capsys.readouterr().err.strip()
    assert "Htdr-nothere-PrimaryFoundation" in message and "deploy it first" in message
    assert not out.exists()
