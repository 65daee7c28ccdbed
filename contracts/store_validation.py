"""The store-validation hook between a drill and its validator: which stores, in which role.

The drill runner decides WHAT is validated (before its rollbacks rebuild the target); a ``Validator``
(the Great Expectations suites, wired in at the edges) decides HOW. Roles, because not every store
must hold every acknowledged event:
- ``writer``: the store the drill left in service; it must match the ledger.
- ``replica``: streaming from the writer, waited on until caught up; it must match the ledger too.
- ``detached``: reachable but no longer fed (a former writer fenced by a switchover); only the
  checks that hold for any store (schema, validity) apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from contracts.events import LedgerRow
from contracts.journal import IntegrityResult

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
