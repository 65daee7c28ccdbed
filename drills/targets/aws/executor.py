"""Runs AWS actions: reads, then the rollback saved to the state file, then the calls.

Clients come from a factory ``(service, region) -> boto3 client`` (the standard credential chain in
production; a moto server or a botocore ``Stubber`` in tests). Waits poll every ``poll_s`` and fail
after their timeout with a line naming what was not reached.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from drills.targets.aws.actions import AwsAction
from drills.targets.aws.paths import lookup, printed
from drills.targets.aws.refs import resolve
from drills.targets.aws.rollback_state import PendingRollback, RollbackState
from drills.targets.aws.steps import Call, Guarded, Local, RunExperiment, Step, StopExperiments, Wait
from drills.targets.values import ActionFailed, Rollback

ClientFactory = Callable[[str, str], Any]
#: FIS experiment states in which stopping it is still meaningful.
ACTIVE_EXPERIMENT = frozenset({"pending", "initiating", "running"})

__all__ = ["ACTIVE_EXPERIMENT", "ActionFailed", "ClientFactory", "Executor"]


class Executor:
    def __init__(
        self,
        clients: ClientFactory,
        state: RollbackState,
        hooks: Mapping[str, Callable[[], None]] | None = None,
        poll_s: float = 5.0,
        log: Callable[[str], None] = lambda _: None,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
    ) -> None:
        self._clients = clients
        self._state = state
        self._hooks = dict(hooks or {})
        self._poll_s = poll_s
        self._log = log
        self._sleep = sleep
        self._values: dict[str, Any] = {}
        self._stop = stop or threading.Event()
        self._undoing = False
        #: Local steps no hook was given for (an AWS drill runs no producer yet): the journal says so.
        self.skipped_local: list[str] = []

    def perform(self, action: AwsAction) -> Rollback:
        """Run ``action``; its undo is in the state file before its first change is made.

        Values read by earlier actions stay available to later ones (the primary's processor count,
        read before they were stopped, sizes the DR processors).

        If a step fails, ``ActionFailed.rollback`` carries the (already saved) undo: rollbacks are
        written to be safe after a partial change, so the caller runs it with the others.
        """
        for capture in action.reads:
            value = self._read(capture.call, capture.path, capture.how)
            self._values[capture.name] = _as_text(value) if capture.text else value
        values = dict(self._values)
        rollback = resolve(action.rollback, values)
        entry = self._state.push(action.name, action.undo, rollback)
        undo = Rollback(
            action=action.name,
            description=action.undo,
            undo=lambda: self.undo(PendingRollback(entry, action.name, action.undo, rollback)),
        )
        self._log(f"aws: {action.description}")
        try:
            for step in resolve(action.steps, values):
                self.run_step(step)
        except Exception as err:
            raise ActionFailed(f"{action.name}: {err}", undo) from err
        return undo

    def undo(self, pending: PendingRollback) -> None:
        """Run one saved rollback and drop it from the state file (kept there if a step fails)."""
        self._log(f"aws rollback: {pending.undo}")
        self._undoing = True  # an operator's stop ends the drill's actions, never its rollbacks
        try:
            for step in pending.steps:
                self.run_step(step)
        finally:
            self._undoing = False
        self._state.done(pending.id)

    def run_step(self, step: Step) -> None:
        if isinstance(step, Call):
            self._call(step)
        elif isinstance(step, Wait):
            self._wait(step)
        elif isinstance(step, Local):
            hook = self._hooks.get(step.hook)
            if hook is None:
                self.skipped_local.append(step.hook)
                self._log(f"{step.hook}: not done ({step.what}): nothing in this run provides it")
            else:
                hook()
        elif isinstance(step, StopExperiments):
            self._stop_experiments(step)
        elif isinstance(step, RunExperiment):
            self._run_experiment(step)
        elif isinstance(step, Guarded):
            current = lookup(self._call(step.check), step.path)
            if printed(current) != printed(step.unless):
                self._call(step.step)

    def _call(self, call: Call) -> Any:
        client = self._clients(call.service, call.region)
        return getattr(client, call.operation)(**call.params)

    def _read(self, call: Call, path: str, how: str) -> Any:
        value = lookup(self._call(call), path)
        if value is None:
            raise ActionFailed(
                f"could not read {how}: {call.service}.{call.operation} in {call.region} "
                f"returned nothing at {path}"
            )
        return value

    def _wait(self, wait: Wait) -> None:
        def reached() -> tuple[bool, str]:
            response = self._call(wait.call)
            value = lookup(response, wait.path)
            done = (printed(value) == printed(wait.expected)) != wait.negate or (
                wait.or_path is not None
                and printed(lookup(response, wait.or_path)) == printed(wait.or_expected)
            )
            return done, f"{wait.path} is {printed(value)}"

        self._poll(reached, wait.timeout_s, wait.what)

    def _run_experiment(self, step: RunExperiment) -> None:
        fis = self._clients("fis", step.region)
        started = fis.start_experiment(
            experimentTemplateId=step.template, clientToken=uuid.uuid4().hex, tags={"Drill": "htdr"}
        )
        experiment_id = started["experiment"]["id"]

        def reached() -> tuple[bool, str]:
            state = fis.get_experiment(id=experiment_id)["experiment"]["state"]
            if state["status"] in {"failed", "stopped", "cancelled"}:
                raise ActionFailed(
                    f"{step.what}: experiment {experiment_id} {state['status']}: "
                    f"{state.get('reason', 'no reason given')}"
                )
            done = state["status"] == step.until or (
                step.until == "running" and state["status"] == "completed"
            )
            return done, f"experiment {experiment_id} {state['status']}"

        self._poll(reached, step.timeout_s, step.what)

    def _poll(self, reached: Callable[[], tuple[bool, str]], timeout_s: float, what: str) -> None:
        """Poll until ``reached``; fails after ``timeout_s`` or, outside a rollback, on an operator stop."""
        end = time.monotonic() + timeout_s
        while True:
            done, state = reached()
            if done:
                return
            if time.monotonic() > end:
                raise ActionFailed(f"{what}: not reached within {timeout_s:.0f} s ({state})")
            if self._stop.is_set() and not self._undoing:
                raise ActionFailed(f"{what}: stopped by the operator ({state})")
            self._sleep(self._poll_s)

    def _stop_experiments(self, step: StopExperiments) -> None:
        fis = self._clients("fis", step.region)
        listed = fis.list_experiments(experimentTemplateId=step.template)
        for experiment in listed.get("experiments", []):
            if experiment.get("state", {}).get("status") in ACTIVE_EXPERIMENT:
                fis.stop_experiment(id=experiment["id"])


def _as_text(value: Any) -> str:
    """A read number as API Gateway patch operations take it (``5000.0`` → ``"5000"``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
