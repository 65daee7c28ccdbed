"""One change an AWS drill makes, with the reads it needs first and the steps that undo it."""

from __future__ import annotations

from dataclasses import dataclass

from drills.targets.aws.steps import Capture, Step


@dataclass(frozen=True)
class AwsAction:
    """``reads`` run first (their values fill the ``Ref``s), then the rollback is saved, then ``steps``.

    ``rollback`` must be safe after a partial (or no) execution of ``steps``: restoring a value read
    before the change, or a ``Guarded`` call that does nothing when the state is already the original.
    """

    name: str
    description: str
    steps: tuple[Step, ...]
    rollback: tuple[Step, ...]
    undo: str
    reads: tuple[Capture, ...] = ()
    destructive: bool = False
