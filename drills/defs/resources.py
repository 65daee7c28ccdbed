"""The drill target as a Dagster resource: which deployment drills run against, and where evidence goes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from contracts.evidence_layout import REPORTS_DIR
from contracts.store_validation import Validator
from drills.drill_runner import DrillResult
from drills.scenarios.config import DrillConfig
from drills.targets.aws.clients import boto3_clients, probe_clients
from drills.targets.aws.data_plane import AwsDataPlane
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.safety import SafetyPolicy
from drills.targets.aws.session import AwsRequest, run_aws_drill
from drills.targets.aws.target import AWS_DEFAULTS
from drills.targets.local_session import local_target, sandbox_settings
from drills.targets.roles import Target

KINDS = ("local", "aws")


class DrillTargetResource(ConfigurableResource):
    """``kind: local`` drives the sandbox (started for the drill when ``manage_sandbox`` and not up);
    ``kind: aws`` drives the stacks named in ``outputs``, only when their suffix is in ``allow_suffixes``
    (and, for a destructive scenario, equals ``confirm_suffix``)."""

    kind: str = Field(default="local", description="'local' (sandbox) or 'aws' (the deployed stacks)")
    outputs: str = Field(default="cfn-outputs/flat-outputs.json", description="aws: the stacks' flat outputs")
    allow_suffixes: list[str] = Field(default_factory=list, description="aws: suffixes drills may act on")
    confirm_suffix: str | None = Field(default=None, description="aws: the suffix, for destructive drills")
    poll_s: float = Field(default=5.0, ge=0, description="aws: seconds between status polls")
    state_dir: str = Field(default=".sandbox", description="sandbox state dir")
    port_base: int = Field(default=15400, description="sandbox port base")
    manage_sandbox: bool = Field(default=True, description="start the sandbox if needed, stop it after")
    reports_dir: str = Field(default=str(REPORTS_DIR), description="journals go to <reports_dir>/drills/")

    @contextmanager
    def open(self, progress: Callable[[str], None]) -> Iterator[Target]:
        """The target for one drill; refuses unknown kinds with one clear line."""
        if self.kind != "local":
            raise ValueError(f"drill target kind {self.kind!r}: only 'local' opens a target here ('aws' runs "
                             "through run_aws); use one of {', '.join(KINDS)}")
        settings = sandbox_settings(Path(self.state_dir), self.port_base)
        with local_target(settings, self.manage_sandbox, progress, one_drill=True) as target:
            yield target

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)

    def run_tags(self) -> dict[str, str]:
        """Tags that show, on the run, which deployment the drill acted on."""
        if self.kind == "aws":
            return {"htdr/target": "aws", "htdr/suffix": AwsOutputs.load(Path(self.outputs)).suffix}
        if self.kind == "local":
            return {"htdr/target": "local", "htdr/suffix": "sandbox"}
        raise ValueError(f"drill target kind {self.kind!r} is unknown: use one of {', '.join(KINDS)}")

    def target_defaults(self) -> dict[str, object]:
        """Run-config settings left at ``default`` take these (the aws target replicates asynchronously)."""
        return dict(AWS_DEFAULTS) if self.kind == "aws" else {}

    def run_aws(self, scenario: str, config: DrillConfig, run_id: str, progress: Callable[[str], None],
                validator: Validator | None = None) -> DrillResult:
        """An AWS drill with this resource's outputs, allowlist and confirmation (the standard AWS chain),
        through the same runner as a local drill."""
        policy = SafetyPolicy(frozenset(self.allow_suffixes), self.confirm_suffix)
        request = AwsRequest(Path(self.outputs), policy, self.reports_path, self.poll_s)
        return run_aws_drill(scenario, request, config, boto3_clients(), AwsDataPlane,
                             probe_clients=probe_clients(), progress=progress, run_id=run_id,
                             validator=validator)
