"""One real sandbox (async mode, pipeline on) shared by the module: replication, partitions, the
processor surviving SIGKILL, outputs, status, idempotent up, and finally promotion.

Tests run in file order; the promotion tests come last because they change the topology.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from contracts.outputs import all_keys
from drills.targets.local import postgres, valkey
from drills.targets.local.sandbox import CACHE_LINK, DB_LINK, Sandbox
from htdr.cli import app
from tests.targets.local.conftest import events, eventually, post, running, settings_in, state_root

pytestmark = pytest.mark.sandbox
PORT_BASE = 16000
KILLED_DATA_DIR_INODE: list[int] = []


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with state_root() as root, running(settings_in(root, PORT_BASE)) as sb:
        yield sb


def _count(port: int, sb: Sandbox, table: str = "vitals_events") -> int:
    with postgres.connect(port, sb.credentials(), sb.settings.db_name) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _scratch_rows(port: int, sb: Sandbox) -> int:
    """Rows of the scratch table; 0 while its CREATE has not replayed on a standby yet."""
    with postgres.connect(port, sb.credentials(), sb.settings.db_name) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM scratch").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def test_outputs_file_has_exactly_the_contract_keys(sandbox: Sandbox) -> None:
    outputs = json.loads(sandbox.settings.outputs_path.read_text())
    assert set(outputs) == all_keys(include_sandbox_only=True)
    assert outputs["TargetKind"] == "local"
    assert outputs["PrimaryApiUrl"] == f"http://127.0.0.1:{PORT_BASE + 8}/"


def test_status_shows_every_component_healthy(sandbox: Sandbox) -> None:
    rows = {r.name: r for r in sandbox.status()}
    assert all(r.healthy for r in rows.values()), [r for r in rows.values() if not r.healthy]
    assert rows["pg-ca-central-1"].role == "primary" and rows["pg-ca-west-1"].role == "standby"
    assert rows["valkey-ca-west-1"].role == "replica"
    assert {"processor-ca-central-1", "processor-ca-west-1", "api-ca-west-1", "moto-ca-west-1"} <= rows.keys()
    result = CliRunner().invoke(app, ["sandbox", "status", "--state-dir", str(sandbox.settings.state_dir)])
    assert result.exit_code == 0, result.output
    assert "link-db" in result.output and "DOWN" not in result.output


def test_up_again_is_a_no_op(sandbox: Sandbox) -> None:
    pids = {r.name: r.pid for r in sandbox.status()}
    assert sandbox.up() is False
    assert {r.name: r.pid for r in sandbox.status()} == pids


def test_writes_stream_to_the_standby_through_the_link(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    with postgres.connect(ports.pg_primary, creds, sandbox.settings.db_name) as conn:
        conn.execute("CREATE TABLE scratch (id int PRIMARY KEY)")
        conn.execute("INSERT INTO scratch SELECT generate_series(1, 1000)")
    eventually(lambda: _scratch_rows(ports.pg_standby, sandbox) == 1000, 10, "rows replicated")
    # Other WAL (checkpoints, hint bits) may still be in flight through the 20 ms link: the probe
    # must settle to exactly zero once the standby has replayed everything.
    def caught_up() -> bool:
        lag = sandbox.replication_lag()
        return lag.standby_streaming and lag.byte_lag == 0 and lag.time_lag_s == 0.0

    eventually(caught_up, 10, "replication lag settles to zero")


def test_cut_db_link_stops_replication_and_restore_resumes_it(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    sandbox.cut_link(DB_LINK)
    with postgres.connect(ports.pg_primary, creds, sandbox.settings.db_name) as conn:
        conn.execute("INSERT INTO scratch SELECT generate_series(1001, 2000)")
    time.sleep(1.0)
    assert _scratch_rows(ports.pg_standby, sandbox) == 1000
    lag = sandbox.replication_lag()
    assert not lag.standby_streaming and lag.byte_lag is not None and lag.byte_lag > 0
    assert sandbox.state().cut_links == [DB_LINK]
    sandbox.restore_link(DB_LINK)
    eventually(lambda: _scratch_rows(ports.pg_standby, sandbox) == 2000, 15, "replication resumed")
    assert sandbox.state().cut_links == []


def test_link_latency_changes_while_running(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    sandbox.set_link_latency(200.0)
    assert {r.name: r.detail for r in sandbox.status()}["link-db"].startswith("200 ms RTT")
    with postgres.connect(ports.pg_primary, creds, sandbox.settings.db_name) as conn:
        conn.execute("INSERT INTO scratch VALUES (500000)")
    committed = time.monotonic()
    with postgres.connect(ports.pg_standby, creds, sandbox.settings.db_name) as standby:
        while not standby.execute("SELECT 1 FROM scratch WHERE id = 500000").fetchone():
            time.sleep(0.005)
    assert time.monotonic() - committed >= 0.1 * 0.9, "one way through a 200 ms round trip takes >= 100 ms"
    sandbox.set_link_latency(sandbox.settings.link_latency_ms)
    assert sandbox.state().link_latency_ms == sandbox.settings.link_latency_ms


def test_cache_replicates_and_its_link_can_be_cut(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    with (
        valkey.client(ports.cache_primary, creds) as primary,
        valkey.client(ports.cache_replica, creds) as replica,
    ):
        primary.set("probe:1", "a")
        eventually(lambda: replica.get("probe:1") == "a", 5, "cache replicated")
        sandbox.cut_link(CACHE_LINK)
        primary.set("probe:2", "b")
        time.sleep(0.5)
        assert replica.get("probe:2") is None
        sandbox.restore_link(CACHE_LINK)
        eventually(lambda: replica.get("probe:2") == "b", 15, "cache replication resumed")


def test_processor_killed_mid_batch_loses_and_duplicates_nothing(sandbox: Sandbox) -> None:
    region, ports = sandbox.settings.primary_region, sandbox.settings.ports
    batch = events(12_000, devices=40, seed=5)
    api_url = f"http://127.0.0.1:{ports.api_primary}/"

    def send() -> None:
        for i in range(0, len(batch), 500):
            assert post(api_url, batch[i : i + 500])["failed"] == []

    sender = threading.Thread(target=send)
    sender.start()
    eventually(lambda: _count(ports.pg_primary, sandbox) >= 1000, 60, "processor started writing")
    sandbox.kill_processor(region)
    written_at_kill = _count(ports.pg_primary, sandbox)
    sandbox.start_processor(region)
    sender.join(120)
    eventually(lambda: _count(ports.pg_primary, sandbox) >= len(batch), 120, "every event stored")
    assert written_at_kill < len(batch), "the kill must land mid-stream for this test to mean anything"
    with postgres.connect(ports.pg_primary, sandbox.credentials(), sandbox.settings.db_name) as conn:
        stored: dict[int, int] = dict(
            conn.execute("SELECT event_key, payload_digest FROM vitals_events").fetchall()
        )
    assert stored == {e.event_key: e.digest for e in batch}
    actions = [a.action for a in sandbox.state().actions]
    assert actions[-2:] == ["kill", "start_processor"]


def test_promotion_makes_the_dr_side_writable(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    eventually(
        lambda: _count(ports.pg_standby, sandbox) == _count(ports.pg_primary, sandbox), 30, "caught up"
    )
    sandbox.promote_standby()
    assert sandbox.writer_region() == sandbox.settings.dr_region
    assert postgres.in_recovery(ports.pg_standby, creds) is False
    with postgres.connect(ports.pg_standby, creds, sandbox.settings.db_name) as conn:
        conn.execute("INSERT INTO scratch VALUES (999999)")
    sandbox.promote_cache()
    with valkey.client(ports.cache_replica, creds) as cache:
        cache.set("after:promotion", "1")
        assert cache.get("after:promotion") == "1"
    rows = {r.name: r for r in sandbox.status()}
    assert rows["pg-ca-west-1"].role == "primary" and rows["valkey-ca-west-1"].role == "primary"
    lag = sandbox.replication_lag()
    assert lag.time_lag_s is None and lag.not_measured


def _orphaned_segments(inode: int) -> int:
    """Unattached SysV segments keyed like PostgreSQL keys the one of the data dir with ``inode``."""
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return sum(1 for f in map(str.split, lines) if inode <= int(f[0]) <= inode + 16 and f[6] == "0")


def test_kill_region_kills_its_processes_and_cuts_the_links(sandbox: Sandbox) -> None:
    primary_data = sandbox.settings.state_dir / "pg" / sandbox.settings.primary_region
    KILLED_DATA_DIR_INODE.append(primary_data.stat().st_ino)
    killed = sandbox.kill_region(sandbox.settings.primary_region)
    assert set(killed) == {f"{k}-ca-central-1" for k in ("pg", "valkey", "moto", "api", "processor")}
    with pytest.raises(psycopg.OperationalError):
        postgres.connect(sandbox.settings.ports.pg_primary, sandbox.credentials(), connect_timeout_s=1)
    rows = {r.name: r for r in sandbox.status()}
    assert rows["link-db"].role == "CUT" and not rows["pg-ca-central-1"].healthy
    assert rows["pg-ca-west-1"].healthy
    assert _orphaned_segments(KILLED_DATA_DIR_INODE[0]) >= 1, "a SIGKILLed postmaster leaves its segment"


def test_recover_rebuilds_the_healthy_topology_after_a_killed_drill(sandbox: Sandbox) -> None:
    result = CliRunner().invoke(app, ["sandbox", "recover", "--state-dir", str(sandbox.settings.state_dir)])
    assert result.exit_code == 0, result.output
    rows = {r.name: r for r in sandbox.status()}
    assert all(r.healthy for r in rows.values()), [r for r in rows.values() if not r.healthy]
    assert rows["pg-ca-central-1"].role == "primary" and rows["pg-ca-west-1"].role == "standby"
    assert sandbox.writer_region() == sandbox.settings.primary_region and sandbox.state().cut_links == []
    assert _orphaned_segments(KILLED_DATA_DIR_INODE[0]) == 0, "down releases the killed cluster's segment"
