"""Which stores a drill validates, and in which role, read from a real sandbox as faults change it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from contracts.store_validation import StoreRole, ValidationRequest
from drills.store_validation import validation_request
from drills.targets.local.sandbox import SandboxSettings
from drills.targets.local_target import LocalTarget

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18040


def _roles(request: ValidationRequest) -> dict[str, StoreRole]:
    return {s.region: s.role for s in request.stores}


def test_roles_follow_the_topology_the_drill_leaves(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, _, _ = sandbox
    primary, dr = target.info().primary_region, target.info().dr_region
    said: list[str] = []
    try:
        steady = validation_request(target, target, primary, dr, "t1", primary, [], catch_up_s=10,
                                    progress=said.append)
        assert _roles(steady) == {primary: StoreRole.WRITER, dr: StoreRole.REPLICA}
        assert steady.unreachable == () and said == []
        for store in steady.stores:  # the DSN reaches the store read-only, and is never printed
            with psycopg.connect(store.dsn) as conn:
                assert conn.execute("SELECT count(*) FROM vitals_events").fetchone() is not None
            assert "password" not in repr(store) and "password" not in repr(steady)

        target.promote_writer(dr)  # a switchover: the old primary is reachable but no longer fed
        switched = validation_request(target, target, primary, dr, "t2", dr, [], catch_up_s=10,
                                    progress=said.append)
        assert _roles(switched) == {dr: StoreRole.WRITER, primary: StoreRole.DETACHED}
        assert not StoreRole.DETACHED.holds_every_ack

        target.kill_region(primary)  # an outage: the old primary cannot be validated at all
        outage = validation_request(target, target, primary, dr, "t3", dr, [], catch_up_s=10,
                                    progress=said.append)
        assert _roles(outage) == {dr: StoreRole.WRITER} and outage.unreachable == (primary,)
    finally:
        target.reset()
    assert target.health().ok
