"""Every refusal of the aws target, each before any change (no rollback state file, no AWS action)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drills.scenarios.config import DrillConfig
from drills.targets.aws.drill import AwsRequest, dry_run, run_aws_drill
from drills.targets.aws.outputs import AwsOutputs, OutputsError
from drills.targets.aws.safety import SafetyPolicy, UnsafeTarget
from drills.targets.aws.steady_state import NotSteady
from tests.targets.aws.aws_world import expect_steady
from tests.targets.aws.conftest import FIXTURE
from tests.targets.aws.deployment import deploy
from tests.targets.aws.stubs import StubbedAws

SUFFIX = "drill1"
ALLOWED = {"DrillAllowed": "true", "Environment": SUFFIX}

pytestmark = pytest.mark.sandbox  # a moto server process


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
        run_aws_drill(scenario, request, DrillConfig(), aws)
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


@pytest.mark.parametrize("scenario", ["region_outage", "planned_switchover", "cache_failover"])
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


def test_every_stack_allowed_passes_safety_and_reaches_the_first_action(
    tmp_path: Path, moto_url: str
) -> None:
    """The control case: with every check satisfied, the drill goes on to its first AWS read."""
    deploy(moto_url, SUFFIX, ALLOWED)
    aws = _clients(moto_url)
    expect_steady(aws)  # before the first action, and again after the (no) rollbacks
    expect_steady(aws)
    journal, path = run_aws_drill("processor_crash", _request(tmp_path), DrillConfig(), aws)
    assert journal.status.value == "aborted" and path.exists()
    assert journal.abort_reason.startswith("fis_ecs-stop-task_primary")


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
    with pytest.raises(
        NotSteady,
        match=r"deployment drill1 is not in its steady state \(processors "
        r"ca-central-1: 1/2 tasks running\)",
    ):
        run_aws_drill("processor_crash", _request(tmp_path), DrillConfig(), aws)
    aws.assert_done()
    assert not (tmp_path / "reports" / "drills").exists()
