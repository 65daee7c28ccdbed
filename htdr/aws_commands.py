"""The ``--target aws`` half of ``htdr drill run`` and ``htdr drill recover`` (the CLI edge).

Options are read once into an ``AwsRequest``; refusals are one line (``UnsafeTarget``, a bad outputs
file, a scenario or parameter refused on AWS) raised as ``ValueError`` for the CLI's error handler.
A drill runs through ``drills.drill_runner.run_drill`` on an ``AwsTarget`` (``session``) whose data
plane is ``AwsDataPlane``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from contracts.evidence_layout import journal_dir, journal_name
from contracts.journal import DrillJournal
from drills.scenarios.config import DrillConfig
from drills.targets.aws.clients import boto3_clients, probe_clients
from drills.targets.aws.data_plane import AwsDataPlane
from drills.targets.aws.safety import SafetyPolicy
from drills.targets.aws.session import AwsRequest, dry_run, recover_aws, run_aws_drill
from drills.targets.aws.target import AWS_DEFAULTS, FIXED_ON_AWS
from drills.targets.values import ActionFailed

DEFAULT_OUTPUTS = Path("cfn-outputs/flat-outputs.json")


def aws_params(pairs: list[str]) -> dict[str, object]:
    """The aws target's defaults (``AWS_DEFAULTS``) under the operator's ``--set`` pairs; a parameter
    AWS sets itself is refused with one line."""
    for pair in pairs:
        key = pair.partition("=")[0].strip()
        if key in FIXED_ON_AWS:
            raise ValueError(f"--set {key}: {FIXED_ON_AWS[key]}")
    return dict(AWS_DEFAULTS)


def aws_request(
    outputs: Path, allow: list[str] | None, confirm: str | None, reports_dir: Path, poll_s: float = 5.0
) -> AwsRequest:
    """The operator's options as one typed request; the allowlist is empty unless given."""
    suffixes = frozenset(s.strip() for item in allow or [] for s in item.split(",") if s.strip())
    return AwsRequest(
        outputs_path=outputs,
        policy=SafetyPolicy(allowlist=suffixes, confirm=confirm),
        reports_dir=reports_dir,
        poll_s=poll_s,
    )


def run(
    scenario: str,
    request: AwsRequest,
    config: DrillConfig,
    is_dry_run: bool,
    console: Console,
    progress: Callable[[str], None],
    stop: threading.Event | None = None,
) -> DrillJournal | None:
    """Print the plan (``--dry-run``) or run the drill; returns the journal of a run (an action that
    failed is one line after the rollbacks ran and the journal, marked aborted, was written)."""
    if is_dry_run:
        console.print(dry_run(scenario, request), highlight=False, soft_wrap=True, markup=False, emoji=False)
        return None
    run_id = uuid.uuid4().hex[:12]
    try:
        result = run_aws_drill(scenario, request, config, boto3_clients(), AwsDataPlane,
                               probe_clients=probe_clients(), progress=progress, stop=stop, run_id=run_id)
    except ActionFailed as err:
        path = journal_dir(request.reports_dir) / journal_name(scenario, run_id)
        raise ValueError(f"aws drill aborted, its actions rolled back: {err}; journal: {path}") from None
    console.print(f"journal: {result.path}")
    return result.journal


def recover(
    request: AwsRequest, console: Console, progress: Callable[[str], None], alive: Callable[[int], bool]
) -> bool:
    """Run the pending rollbacks; False when one failed (it stays in the state file)."""
    results = recover_aws(request, boto3_clients(), alive, progress)
    if not results:
        console.print("no interrupted aws drill: nothing to recover")
        return True
    for r in results:
        console.print(
            f"{'ok    ' if r.error is None else 'FAILED'} {r.undo}" + (f": {r.error}" if r.error else ""),
            highlight=False,
            markup=False,
            soft_wrap=True,
            emoji=False,
        )
    return all(r.error is None for r in results)
