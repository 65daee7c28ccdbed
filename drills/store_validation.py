"""After a drill: which regions' stores are validated, in which role, and the validator hook.

The runner decides WHAT is validated, before its rollbacks rebuild the target (the local rollback
wipes the stores, so validating later would test a fresh sandbox); a ``Validator`` (the Great
Expectations suites, wired in by the CLI and the Dagster asset) decides HOW. Behind this hook the
drills stay plain Python that runs and tests without Great Expectations.

Roles, because not every store must hold every acknowledged event:
- ``writer``: the store the drill left in service; it must match the ledger.
- ``replica``: streaming from the writer, waited on until caught up; it must match the ledger too.
- ``detached``: reachable but no longer fed (a former writer fenced by a switchover); only the
  checks that hold for any store (schema, validity) apply.
A store that cannot be reached (its region was killed) is named as not validated, never passed.
What is validated is the drill's rows (the devices of its ledger), so the cost follows the drill.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from drills.journal import IntegrityResult
from drills.measure.loss import LedgerRow
from drills.targets.base import Target

Progress = Callable[[str], None]

#: Every journal note about store validation starts with this (Dagster shows them with the checks).
VALIDATION_NOTE = "store validation: "


class StoreRole(StrEnum):
    WRITER = "writer"
    REPLICA = "replica"
    DETACHED = "detached"

    @property
    def holds_every_ack(self) -> bool:
        """Whether the store must hold every acknowledged event (the ledger checks apply)."""
        return self is not StoreRole.DETACHED


@dataclass(frozen=True)
class StoreUnderTest:
    region: str
    role: StoreRole
    dsn: str = field(repr=False)  # may carry a password: never printed


@dataclass(frozen=True)
class ValidationRequest:
    """Everything a validator needs; ``unreachable`` regions are reported, not validated."""

    run_id: str
    stores: tuple[StoreUnderTest, ...]
    unreachable: tuple[str, ...]
    ledger: Sequence[LedgerRow] = field(repr=False)


#: Validates the request's stores and returns one result per (suite, region).
Validator = Callable[[ValidationRequest, Progress], list[IntegrityResult]]


def validation_request(target: Target, run_id: str, writer: str, catch_up_s: float,
                       progress: Progress) -> ValidationRequest:
    """Every region's store with its role; waits (bounded) for a streaming replica to catch up."""
    info = target.info()
    stores, unreachable = [], []
    for region in (info.primary_region, info.dr_region):
        if target.store_count(region) is None:
            unreachable.append(region)
            continue
        role = StoreRole.WRITER if region == writer else _other_role(target, writer, info.primary_region)
        if role is StoreRole.REPLICA and not target.wait_replication_caught_up(catch_up_s):
            progress(f"{region} replica still behind after {catch_up_s:g} s: validated as it is")
        stores.append(StoreUnderTest(region, role, target.store_dsn(region)))
    return ValidationRequest(run_id=run_id, stores=tuple(stores), unreachable=tuple(unreachable),
                             ledger=target.ledger_rows())


def _other_role(target: Target, writer: str, primary_region: str) -> StoreRole:
    """The DR store replicates from the primary; once DR took over, the old primary is detached."""
    if writer == primary_region and target.replication_streaming():
        return StoreRole.REPLICA
    return StoreRole.DETACHED
