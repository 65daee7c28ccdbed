"""The session client both targets use (``drills.targets.session_store``), against a real Valkey primary
and replica started as the sandbox starts its cache: sessions written, read back, expiring; offsets
from each node and as the primary alone sees them, cross-checked with the replica's own; a dead or
wrongly authenticated node fails fast and names no token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from drills.targets.local.scratch_postgres import free_port
from drills.targets.session_store import (
    PREFIX,
    SESSION_TTL_S,
    SessionStore,
    connect,
    offsets_of_pair,
    offsets_seen_by_primary,
)
from tests.targets.valkey_pair import ValkeyPair, valkey_pair

pytestmark = pytest.mark.sandbox  # real valkey-server processes


@pytest.fixture(scope="module")
def pair() -> Iterator[ValkeyPair]:
    with valkey_pair() as made:
        yield made


@pytest.fixture
def store(pair: ValkeyPair) -> Iterator[SessionStore]:
    pair.flush()
    made = SessionStore(lambda: pair.primary)
    yield made
    made.forget()


def test_sessions_written_are_read_back_from_the_writer_and_expire(
    pair: ValkeyPair, store: SessionStore
) -> None:
    keys = [f"sess-{n}" for n in range(20)]
    writes = [store.write(k) for k in keys]
    assert all(w.t_ack is not None for w in writes) and [w.key for w in writes] == keys
    assert store.present([*keys, "sess-never-written"]) == set(keys)
    with connect(pair.primary, 2.0) as conn:
        assert conn.get(f"{PREFIX}sess-3") == "1"
        assert 0 < conn.ttl(f"{PREFIX}sess-3") <= SESSION_TTL_S
    assert pair.sync() == 1
    replica_view = SessionStore(lambda: pair.replica)
    assert replica_view.present(keys) == set(keys)  # replicated, read on the replica itself


def test_offsets_from_each_node_and_from_the_primary_alone_agree_once_acknowledged(
    pair: ValkeyPair, store: SessionStore
) -> None:
    before = offsets_of_pair(store.replication_info(pair.primary), store.replication_info(pair.replica))
    for n in range(50):
        store.write(f"sess-{n}")
    with connect(pair.primary, 2.0) as conn:
        written = int(conn.info("replication")["master_repl_offset"])
    assert pair.sync() == 1  # the replica acknowledged every write
    primary_info = store.replication_info(pair.primary)
    own = offsets_of_pair(primary_info, store.replication_info(pair.replica))
    seen = offsets_seen_by_primary(primary_info)
    assert before is not None and own is not None and seen is not None
    assert before[0] < written <= own[0]  # the writes moved the primary's offset
    assert written <= own[1] <= own[0]  # the replica's own count: every write replicated
    # the primary's view: what the replica acknowledged, never more than the replica's own count
    assert primary_info is not None and seen[0] == own[0] and written <= seen[1] <= own[1]
    by_default = store.replication_info()  # the writer's
    assert by_default is not None and by_default["master_replid"] == primary_info["master_replid"]


def test_a_replica_is_no_primary_and_a_primary_without_replica_gives_no_offsets(
    pair: ValkeyPair, store: SessionStore
) -> None:
    replica_info = store.replication_info(pair.replica)
    assert offsets_seen_by_primary(replica_info) is None
    assert offsets_of_pair(store.replication_info(pair.primary), store.replication_info(pair.primary)) is None
    lone = {"role": "master", "master_repl_offset": 10, "connected_slaves": 0}
    assert offsets_seen_by_primary(lone) is None
    waiting = {**lone, "slave0": {"ip": "10.0.0.1", "port": 6379, "state": "wait_bgsave", "offset": 0}}
    assert offsets_seen_by_primary(waiting) is None
    two = {**lone, "slave0": {"state": "online", "offset": 8}, "slave1": {"state": "online", "offset": 5}}
    assert offsets_seen_by_primary(two) == (10, 5)  # the lowest: an upper bound of the gap


def test_a_dead_node_fails_fast_and_a_wrong_token_is_never_shown(pair: ValkeyPair) -> None:
    dead = replace(pair.primary, port=free_port(18450, 18500))
    store = SessionStore(lambda: dead)
    assert store.write("sess-0").t_ack is None and store.replication_info() is None
    retry = connect(dead, 0.3).get_retry()
    assert retry is not None and retry.get_retries() == 0  # a failed write is not retried in place
    wrong = replace(pair.primary, token="not-the-token-0123")
    assert SessionStore(lambda: wrong).write("sess-0").t_ack is None
    with pytest.raises(redis.RedisError) as err:
        SessionStore(lambda: wrong).present(["sess-0"])
    shown = f"{err.value!r} {err.value} {wrong!r} {wrong} {pair.primary!r}"
    assert "not-the-token-0123" not in shown and pair.primary.token not in shown
