"""After a drill: which regions' stores are validated, and in which role (``contracts.store_validation``).

The runner decides WHAT is validated, before its rollbacks rebuild the target (the local rollback
wipes the stores, so validating later would test a fresh sandbox); a ``Validator`` (the Great
Expectations suites, wired in by the CLI and the Dagster asset) decides HOW. Behind this hook the
drills stay plain Python that runs and tests without Great Expectations.
A store that cannot be reached (its region was killed) is named as not validated, never passed.
What is validated is the drill's rows (the devices of its ledger), so the cost follows the drill.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.events import LedgerRow
from contracts.store_validation import Progress, StoreRole, StoreUnderTest, ValidationRequest
from drills.targets.roles import DatabaseReplication, EventStore


def validation_request(store: EventStore, replication: DatabaseReplication, primary: str, dr: str,
                       run_id: str, writer: str, ledger: Sequence[LedgerRow], catch_up_s: float,
                       progress: Progress) -> ValidationRequest:
    """Every region's store with its role; waits (bounded) for a streaming replica to catch up."""
    stores, unreachable = [], []
    for region in (primary, dr):
        if store.store_count(region) is None:
            unreachable.append(region)
            continue
        role = StoreRole.WRITER if region == writer else _other_role(replication, writer, primary)
        if role is StoreRole.REPLICA and not replication.wait_replication_caught_up(catch_up_s):
            progress(f"{region} replica still behind after {catch_up_s:g} s: validated as it is")
        stores.append(StoreUnderTest(region, role, store.store_dsn(region)))
    return ValidationRequest(run_id=run_id, stores=tuple(stores), unreachable=tuple(unreachable),
                             ledger=ledger)


def _other_role(replication: DatabaseReplication, writer: str, primary_region: str) -> StoreRole:
    """The DR store replicates from the primary; once DR took over, the old primary is detached."""
    if writer == primary_region and replication.replication_streaming():
        return StoreRole.REPLICA
    return StoreRole.DETACHED
