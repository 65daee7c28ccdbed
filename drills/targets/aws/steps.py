"""The steps an AWS action is made of: data, so a plan can be printed, saved and replayed.

``Call`` is one boto3 operation (``service``, ``region``, snake_case ``operation``, its parameters);
``Wait`` polls a read call until a value in its response is (or is not) the expected one; ``Local``
is a step of the drill process itself (the producer's endpoint switch); ``StopExperiments`` stops
every running FIS experiment of a template (FIS restores what the experiment changed when stopped);
``RunExperiment`` starts one and waits for the state it must reach.
Parameters may hold ``Ref`` values read at run time (an ARN, the desired count before a change); a
step is written to the rollback state file with every ``Ref`` already resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A value read at run time; ``how`` says from where, for the dry-run printout."""

    name: str
    how: str


@dataclass(frozen=True)
class Capture:
    """Read ``path`` of ``call``'s response into the value named ``name``."""

    name: str
    call: Call
    path: str
    how: str
    text: bool = False  # store the value as a string (API Gateway patch values are strings)

    @property
    def ref(self) -> Ref:
        return Ref(self.name, self.how)


@dataclass(frozen=True)
class Call:
    service: str
    region: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Poll ``call`` until ``path`` of its response equals ``expected`` (differs from it if ``negate``),
    or ``or_path`` equals ``or_expected`` (a state that makes the wait pointless: already restored)."""

    call: Call
    path: str
    expected: Any
    what: str
    timeout_s: float = 1800.0
    negate: bool = False
    or_path: str | None = None
    or_expected: Any = None


@dataclass(frozen=True)
class Local:
    """A step the drill process does itself; ``hook`` names it, ``what`` explains it."""

    hook: str
    what: str


@dataclass(frozen=True)
class StopExperiments:
    """Stop every running experiment of ``template`` (an id or a ``Ref`` to one) in ``region``."""

    region: str
    template: Any
    what: str


@dataclass(frozen=True)
class RunExperiment:
    """Start an experiment of ``template`` and wait until it reaches ``until`` (``running``/``completed``)."""

    region: str
    template: Any
    until: str
    what: str
    timeout_s: float = 900.0


@dataclass(frozen=True)
class Guarded:
    """Run ``step`` only when ``path`` of ``check``'s response differs from ``unless`` (idempotent undo)."""

    step: Call
    check: Call
    path: str
    unless: Any
    what: str


Step = Call | Wait | Local | StopExperiments | RunExperiment | Guarded
