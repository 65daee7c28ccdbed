"""The aws target's data plane (load and ledger, store reads, consumer lag) against a real sandbox.

``AwsDataPlane`` is built from the sandbox's ``flat-outputs.json`` exactly as from a deployment's: the
producer posts SigV4-signed batches to the ``ApiUrl`` outputs (the sandbox's ingest API refuses
unsigned ones), the store is reached through the ``DbWriterEndpoint``/``DbName`` outputs with the
credentials read from the ``DbSecretArn`` secret, the lag from the ``StreamName``/``StreamArn``
streams. What differs from AWS: boto3 clients go to the sandbox's endpoints (``AwsEndpointUrl``), and
its PostgreSQL serves no TLS (``sslmode=disable``). Loss is measured as the drill runner measures it:
the key comparison (``drills.measure.loss``) and the bucketed checksum diff on ONE snapshot.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.journal import LossDetail
from contracts.outputs import RegionalKey, Side
from drills.integrity.diff import DiffResult, diff_sources
from drills.ledger import Ledger
from drills.measure.loss import measure_loss
from drills.scenarios.config import DrillConfig
from drills.targets.aws.data_plane import AwsDataPlane
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.store_connection import DbTls
from drills.targets.local import aws_seed
from drills.targets.local_target import LocalTarget
from drills.targets.values import IngestMode, LoadSpec
from tests.targets.local.conftest import eventually, running, settings_in, state_root

pytestmark = pytest.mark.sandbox
PORT_BASE = 18300


@dataclass(frozen=True)
class World:
    plane: AwsDataPlane
    target: LocalTarget
    primary: str
    dr: str


def sandbox_clients(outputs: AwsOutputs) -> ClientFactory:
    """boto3 clients of each region's sandbox endpoint (what ``boto3_clients`` is on AWS)."""
    endpoints = {outputs.region(side): outputs.of(side, RegionalKey.AWS_ENDPOINT_URL) for side in Side}
    return lambda service, region: aws_seed.client(service, region, endpoints[region])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with state_root() as root, running(settings_in(root, PORT_BASE)) as sandbox:
        path = sandbox.settings.outputs_path
        # AwsOutputs.load refuses the sandbox's file by its TargetKind; every key is read the same way
        outputs = AwsOutputs(values=json.loads(path.read_text()), path=path)
        plane = AwsDataPlane(outputs, root / "aws-drill", sandbox_clients(outputs), tls=DbTls("disable"))
        try:
            yield World(plane, LocalTarget(sandbox.settings), outputs.region(Side.PRIMARY),
                        outputs.region(Side.DR))
        finally:
            plane.stop_load()
            plane.close()


def drained(plane: AwsDataPlane, region: str, settle_s: float = 1.0, timeout_s: float = 60.0) -> None:
    """The backlog is 0 and the store count unchanged for ``settle_s`` (as the drills' drain)."""
    last: int | None = None
    since: float | None = None

    def settled() -> bool:
        nonlocal last, since
        count = plane.store_count(region)
        if plane.stream_backlog(region) != 0 or count is None or count != last:
            last, since = count, None
            return False
        since = since or time.monotonic()
        return time.monotonic() - since >= settle_s

    eventually(settled, timeout_s, f"{region}'s backlog drained", interval_s=0.2)


def measured(plane: AwsDataPlane, ledger_path: Path | None, region: str) -> tuple[LossDetail, DiffResult]:
    """Key comparison and checksum diff of the acknowledged ledger on one snapshot of ``region``."""
    ledger = Ledger(ledger_path)
    with plane.snapshot(region) as source:
        source.open()
        try:
            keys = source.bounds()
            digests = {} if keys is None else source.range_digests([keys])
        finally:
            source.close()
        checksum = diff_sources(ledger.acknowledged_source(), source)
    return measure_loss(ledger.rows(), digests).detail, checksum


def run_load(plane: AwsDataPlane, load: LoadSpec, acknowledged: int) -> None:
    """Start ``load``, stop it once it had ``acknowledged`` events acknowledged (fewer than the
    backlog probe counts per shard: it only needs to know whether any is left)."""
    plane.start_load(load)
    try:
        eventually(lambda: plane.load_stats().acknowledged >= acknowledged, 60,
                   f"{acknowledged} acknowledged events")
    finally:
        plane.stop_load()


def test_default_load_dual_ingest_loses_nothing_and_drains_to_zero_lag(world: World) -> None:
    plane, primary = world.plane, world.primary
    load = DrillConfig().load()
    assert load.ingest is IngestMode.DUAL  # the drills' default (sync replication)
    assert plane.ledger_path() is None and plane.load_stats().sent == 0

    plane.start_load(load)
    try:
        eventually(lambda: plane.load_stats().acknowledged >= 2000, 60, "2000 acknowledged events")
        lag_under_load = plane.consumer_lag_s(primary)
    finally:
        plane.stop_load()
    stats = plane.load_stats()
    routing = json.loads((plane.ledger_path() or Path()).with_name("routing.json").read_text())
    assert routing["regions"] == [world.primary, world.dr]
    assert isinstance(lag_under_load, float) and lag_under_load >= 0.0

    drained(plane, primary)
    loss, checksum = measured(plane, plane.ledger_path(), primary)
    assert loss.acknowledged == stats.acknowledged >= 2000
    assert (loss.lost, loss.digest_mismatches) == (0, 0)
    assert (len(checksum.missing), len(checksum.changed)) == (0, 0)
    assert plane.consumer_lag_s(primary) == 0.0
    assert plane.store_count(primary) == checksum.other_rows >= loss.acknowledged


def test_paused_processor_loses_exactly_the_acknowledged_unprocessed_events(world: World) -> None:
    plane, target, primary = world.plane, world.target, world.primary
    drained(plane, primary)
    stored_before = plane.store_count(primary)
    resume = target.pause_processor(primary)
    try:
        t_paused = time.time()
        run_load(plane, LoadSpec(rate_per_min=6000, duration_s=60, ingest=IngestMode.SINGLE, resume=True),
                 acknowledged=200)
        rows = Ledger(plane.ledger_path()).rows()
        unprocessed = [r for r in rows if r.t_ack is not None and r.t_sent >= t_paused]
        assert len(unprocessed) >= 200

        loss, checksum = measured(plane, plane.ledger_path(), primary)
        assert loss.lost == len(checksum.missing) == len(unprocessed)
        assert loss.digest_mismatches == len(checksum.changed) == 0
        assert plane.store_count(primary) == stored_before
        backlog = plane.stream_backlog(primary)
        assert backlog is not None and backlog >= len(unprocessed)
        lag = plane.consumer_lag_s(primary)
        assert lag is not None and lag > 0.0
    finally:
        resume.undo()

    drained(plane, primary)
    loss, checksum = measured(plane, plane.ledger_path(), primary)
    assert (loss.lost, len(checksum.missing)) == (0, 0)
    assert plane.consumer_lag_s(primary) == 0.0


def _acked_regions_since(ledger_path: Path | None, since: float) -> set[str]:
    """Routing labels of the events sent after ``since`` and acknowledged (the ledger records them)."""
    assert ledger_path is not None
    with closing(sqlite3.connect(ledger_path, timeout=5)) as db:
        rows = db.execute("SELECT DISTINCT region FROM ledger WHERE t_sent > ? AND t_ack IS NOT NULL",
                          (since,)).fetchall()
    return {str(r[0]) for r in rows}


def test_repoint_moves_the_load_to_the_dr_api_and_its_rollback_moves_it_back(world: World) -> None:
    plane, primary, dr = world.plane, world.primary, world.dr
    plane.start_load(LoadSpec(rate_per_min=6000, duration_s=60, ingest=IngestMode.SINGLE))
    try:
        eventually(lambda: plane.load_stats().acknowledged >= 50, 60, "first acknowledged events")
        t_repoint = time.time()
        rollback = plane.repoint(dr)
        eventually(lambda: dr in _acked_regions_since(plane.ledger_path(), t_repoint), 30,
                   f"events acknowledged by {dr}'s ingest API")
        # the producer applied the new routing before that ack: every batch from now on is labelled so
        t_switched = time.time()
        eventually(lambda: bool(_acked_regions_since(plane.ledger_path(), t_switched)), 30,
                   "events acknowledged after the switch")
        assert _acked_regions_since(plane.ledger_path(), t_switched) == {dr}
        rollback.undo()
        t_back = time.time()
        eventually(lambda: primary in _acked_regions_since(plane.ledger_path(), t_back), 30,
                   f"events acknowledged by {primary}'s ingest API again")
    finally:
        plane.stop_load()
