"""Real PostgreSQL servers for the integrity tests: region A, region B, and a standby of A.

Ports come from this helper's range (19100-19199). Servers live for the session; each test gets
fresh ``vitals_events`` tables loaded with the same events on both regions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from drills.pipeline.events import VitalsEvent
from drills.targets.local.scratch_postgres import PgCluster, free_port
from tests.integrity.data import insert_events, make_events, reset_store

PORTS = (19100, 19200)


@pytest.fixture(scope="session")
def region_a() -> Iterator[PgCluster]:
    cluster = PgCluster.create(free_port(*PORTS))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def region_b() -> Iterator[PgCluster]:
    cluster = PgCluster.create(free_port(*PORTS))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def standby_a(region_a: PgCluster) -> Iterator[PgCluster]:
    standby = region_a.standby_of(free_port(*PORTS))
    yield standby
    standby.stop()


@dataclass(frozen=True)
class Twins:
    """The same events loaded in both regions' stores."""

    dsn_a: str
    dsn_b: str
    events: list[VitalsEvent]

    def by_key(self, device: int, seq: int) -> VitalsEvent:
        return next(e for e in self.events if e.device_index == device and e.seq == seq)


@pytest.fixture
def twins(region_a: PgCluster, region_b: PgCluster) -> Twins:
    events = make_events(devices=20, per_device=250)  # 5,000 rows
    for cluster in (region_a, region_b):
        reset_store(cluster.dsn())
        insert_events(cluster.dsn(), events)
    return Twins(region_a.dsn(), region_b.dsn(), events)
