"""Sync mode: commits wait for the standby, a cut link blocks them, and a promoted standby does not
inherit the wait (``synchronous_standby_names`` cleared, else every write would hang)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from drills.targets.local import postgres
from drills.targets.local.sandbox import DB_LINK, Sandbox
from drills.targets.local.settings import ReplicationMode
from tests.targets.local.conftest import eventually, running, settings_in, state_root

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings_kw = {"replication_mode": ReplicationMode.SYNC, "with_pipeline": False}
    with state_root() as root, running(settings_in(root, 16200, **settings_kw)) as sb:
        yield sb


def _insert_in_thread(sandbox: Sandbox, port: int, value: int) -> threading.Thread:
    def insert() -> None:
        with postgres.connect(port, sandbox.credentials(), sandbox.settings.db_name) as conn:
            conn.execute("INSERT INTO sync_probe VALUES (%s)", (value,))

    thread = threading.Thread(target=insert, daemon=True)
    thread.start()
    return thread


def test_commit_waits_for_the_standby_while_the_link_is_cut(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    with postgres.connect(ports.pg_primary, creds, sandbox.settings.db_name) as conn:
        assert conn.execute("SHOW synchronous_standby_names").fetchone() == (postgres.STANDBY_NAME,)
        conn.execute("CREATE TABLE sync_probe (id int PRIMARY KEY)")
    sandbox.cut_link(DB_LINK)
    blocked = _insert_in_thread(sandbox, ports.pg_primary, 1)
    blocked.join(1.5)
    assert blocked.is_alive(), "a sync commit must not return while the standby is unreachable"
    sandbox.restore_link(DB_LINK)
    blocked.join(20)
    assert not blocked.is_alive()


def test_promoted_standby_takes_writes_without_waiting(sandbox: Sandbox) -> None:
    ports, creds = sandbox.settings.ports, sandbox.credentials()
    sandbox.promote_standby()
    eventually(lambda: postgres.in_recovery(ports.pg_standby, creds) is False, 10, "promoted")
    with postgres.connect(ports.pg_standby, creds) as conn:
        assert conn.execute("SHOW synchronous_standby_names").fetchone() == ("",)
    write = _insert_in_thread(sandbox, ports.pg_standby, 2)
    write.join(10)
    assert not write.is_alive(), "a write on the promoted standby hung (sync names not cleared)"
