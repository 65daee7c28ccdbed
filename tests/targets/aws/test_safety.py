"""Every refusal of the aws target, each before any change (no rollback state file, no AWS action)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.outputs import Side
from drills.scenarios.config import DrillConfig, parse_config
from drills.scenarios.context import PreconditionFailed
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.aws.credentials import CredentialsError
from drills.targets.aws.data_plane_role import DataPlane
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs, OutputsError
from drills.targets.aws.rollback_state import state_path
from drills.targets.aws.safety import SafetyPolicy, UnsafeTarget
from drills.targets.aws.session import AwsRequest, dry_run, run_aws_drill
from drills.targets.aws.target import AWS_DEFAULTS
from tests.fakes.fake_data_plane import FakeDataPlane
from tests.fakes.manual_clock import ManualClock
from tests.targets.aws.aws_world import expect_steady
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.deployment import deploy
from tests.targets.aws.stubs import StubbedAws

SUFFIX = "drill1"
ALLOWED = {"DrillAllowed": "true", "Environment": SUFFIX}

pytestmark = pytest.mark.sandbox  # a moto server process
#: What a user gets with no option on the aws target.
DEFAULTS = parse_config(dict(AWS_DEFAULTS))


def _no_data_plane(outputs: AwsOutputs, work_dir: Path, clients: ClientFactory) -> DataPlane:
    raise AssertionError("a refused drill must not build its data plane")


def _request(
    tmp_path: Path,
    allow: frozenset[str] = frozenset({SUFFIX}),
    confirm: str | None = None,
    outputs: Path = FIXTURE,
) -> AwsRequest:
    return AwsRequest(
        outputs, SafetyPolicy(allowlist=allow, confirm=confirm), tmp_path / "reports", poll_s=0.0
    )


def _clients(moto_url: str) -> StubbedAws:
    """CloudFormation from moto; every other service stubbed with nothing queued: any action call fails."""
    return StubbedAws(moto_url, frozenset({"cloudformation"}))


def _refused(tmp_path: Path, moto_url: str, scenario: str, request: AwsRequest, match: str) -> None:
    aws = _clients(moto_url)
    with pytest.raises(UnsafeTarget, match=match):
        run_aws_drill(scenario, request, DEFAULTS, aws, _no_data_plane)
    assert not (request.reports_dir / "drills").exists(), "a refused drill must leave nothing behind"
    aws.assert_done()


def test_default_allowlist_is_empty_and_refuses(tmp_path: Path) -> None:
    with pytest.raises(
        UnsafeTarget,
        match=r"suffix 'drill1' is not on the drill allowlist \(allowed: none\); "
        r"pass --allow-suffix drill1",
    ):
        dry_run("processor_crash", _request(tmp_path, allow=frozenset()))


def test_other_suffix_on_allowlist_refuses(tmp_path: Path, moto_url: str) -> None:
    _refused(
        tmp_path,
        moto_url,
        "processor_crash",
        _request(tmp_path, allow=frozenset({"staging"})),
        r"allowed: staging",
    )


@pytest.mark.parametrize("scenario", ["region_outage", "planned_switchover"])
def test_destructive_scenarios_need_confirm_of_this_suffix(
    tmp_path: Path, moto_url: str, scenario: str
) -> None:
    deploy(moto_url, SUFFIX, ALLOWED)
    for confirm in (None, "staging"):
        _refused(
            tmp_path,
            moto_url,
            scenario,
            _request(tmp_path, confirm=confirm),
            rf"{scenario} is destructive on AWS .*: pass --confirm drill1",
        )


def test_stack_without_drill_allowed_tag_refuses(tmp_path: Path, moto_url: str) -> None:
    deploy(moto_url, SUFFIX, ALLOWED, override={"DrServices": {"Environment": SUFFIX}})
    _refused(
        tmp_path,
        moto_url,
        "processor_crash",
        _request(tmp_path),
        r"stack Htdr-drill1-DrServices is not tagged DrillAllowed=true \(found None\)",
    )


def test_drill_allowed_false_refuses(tmp_path: Path, moto_url: str) -> None:
    deploy(moto_url, SUFFIX, {"DrillAllowed": "false"})
    _refused(tmp_path, moto_url, "processor_crash", _request(tmp_path), r"found 'false'")


def test_production_stack_refuses_even_when_drill_allowed(tmp_path: Path, moto_url: str) -> None:
    deploy(
        moto_url,
        SUFFIX,
        ALLOWED,
        override={"PrimaryServices": {"DrillAllowed": "true", "Production": "true"}},
    )
    _refused(
        tmp_path,
        moto_url,
        "region_outage",
        _request(tmp_path, confirm=SUFFIX),
        r"Htdr-drill1-PrimaryServices is tagged Production=true: drills never act on a production",
    )


def test_missing_stack_refuses(tmp_path: Path, moto_url: str) -> None:
    deploy(moto_url, SUFFIX, ALLOWED, skip="DrDrillPipeline")
    _refused(
        tmp_path,
        moto_url,
        "processor_crash",
        _request(tmp_path),
        r"stack Htdr-drill1-DrDrillPipeline in ca-central-1 is not readable",
    )


def test_every_stack_allowed_passes_safety_and_reaches_the_database_secret(
    tmp_path: Path, moto_url: str
) -> None:
    """The control case: with every check satisfied, the drill goes on to its first read after safety,
    the DB secret (none in this moto server: refused naming the secret, never a value)."""
    deploy(moto_url, SUFFIX, ALLOWED)
    aws = StubbedAws(moto_url, frozenset({"cloudformation", "secretsmanager"}))
    with pytest.raises(CredentialsError, match=r"^secret arn:aws:secretsmanager:ca-central-1:.* not readable"
                       ):
        run_aws_drill("processor_crash", _request(tmp_path), DEFAULTS, aws, _no_data_plane)
    assert not state_path(tmp_path / "reports", SUFFIX).exists()


def test_the_project_wide_sync_default_is_refused_on_aws(tmp_path: Path) -> None:
    """``DrillConfig()`` (sync) is not what the aws target runs: one line naming the option and the fix."""
    with pytest.raises(ValueError, match=r"^replication_mode sync: .*use replication_mode=async"):
        run_aws_drill("processor_crash", _request(tmp_path), DrillConfig(), StubbedAws(), _no_data_plane)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, r"no such file; write it with `python -m cdk_app.flat_outputs --suffix <suffix>`"),
        ("not json", r"not a JSON outputs file"),
        ({"TargetKind": "local"}, r"written for target kind 'local', not 'aws'"),
        ({"TargetKind": "aws"}, r"missing .*GlobalClusterId"),
    ],
)
def test_bad_outputs_file_is_one_line_naming_it(tmp_path: Path, content: object, match: str) -> None:
    path = tmp_path / "flat-outputs.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(OutputsError, match=match) as err:
        AwsOutputs.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_deployment_out_of_steady_state_is_refused_before_any_change(tmp_path: Path, moto_url: str) -> None:
    deploy(moto_url, SUFFIX, ALLOWED)
    aws = _clients(moto_url)
    expect_steady(aws, processors_running_primary=1)  # one of two primary tasks is not running
    clock = ManualClock()
    data = FakeDataPlane(clock, tmp_path / "data", ("ca-central-1", "ca-west-1"))
    sql = AuroraSql(writers={side: "host=never-connected" for side in Side}, dr_reader="host=never-connected",
                    dr_region="ca-west-1")
    with pytest.raises(
        PreconditionFailed,
        match=r"^aws target not ready for processor_crash: processors ca-central-1: 1/2 tasks running$",
    ):
        run_aws_drill("processor_crash", _request(tmp_path), DEFAULTS, aws, lambda *_: data, sql=sql,
                      clock=clock)
    aws.assert_done()
    assert data.calls == []
    assert not state_path(tmp_path / "reports", SUFFIX).exists()
    assert not list((tmp_path / "reports" / "drills").glob("drill-*.json"))
