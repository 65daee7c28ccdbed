"""The aws target's SQL probes against a real PostgreSQL: the writer probe tells a writer from a
read-only endpoint and from one that refuses connections; the lag reads the DR row of
``aurora_global_db_status()`` (Aurora's columns, from the stand-in)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from contracts.outputs import Side
from drills.targets.aws.aurora_sql import AuroraSql
from drills.targets.local.scratch_postgres import PgCluster
from tests.targets.aws.rig import Doors

pytestmark = pytest.mark.sandbox  # a scratch PostgreSQL


@pytest.fixture
def sql(aurora: PgCluster) -> Iterator[AuroraSql]:
    probes = AuroraSql(writers={Side.PRIMARY: aurora.dsn("primary_writer"), Side.DR: aurora.dsn("dr_writer")},
                       dr_reader=aurora.dsn("dr_reader"), dr_region="ca-west-1")
    yield probes
    probes.close()
    Doors(aurora).open()
    with psycopg.connect(aurora.dsn(), autocommit=True) as conn:
        conn.execute("ALTER DATABASE dr_writer RESET default_transaction_read_only")


def test_a_writer_answers_and_a_read_only_endpoint_does_not(sql: AuroraSql, aurora: PgCluster) -> None:
    assert sql.writer_alive(Side.PRIMARY) and sql.writer_alive(Side.DR)
    with psycopg.connect(aurora.dsn(), autocommit=True) as conn:  # what a reader or secondary reports
        conn.execute("ALTER DATABASE dr_writer SET default_transaction_read_only = on")
    assert not sql.writer_alive(Side.DR)
    assert sql.writer_alive(Side.PRIMARY)


def test_a_writer_that_refuses_connections_is_not_alive(sql: AuroraSql, aurora: PgCluster) -> None:
    Doors(aurora).close()
    assert not sql.writer_alive(Side.PRIMARY)
    Doors(aurora).open()
    assert sql.writer_alive(Side.PRIMARY)


def test_the_lags_are_the_dr_rows_of_aurora_global_db_status(sql: AuroraSql, aurora: PgCluster) -> None:
    assert sql.rpo_lag_s() == 0.0 and sql.durability_lag_s() == 0.0
    with psycopg.connect(aurora.dsn("dr_reader"), autocommit=True) as conn:
        conn.execute("UPDATE lag_state SET durability_lag_in_msec = 250, rpo_lag_in_msec = 1750 "
                     "WHERE aws_region = 'ca-west-1'")
    try:
        assert (sql.rpo_lag_s(), sql.durability_lag_s()) == (1.75, 0.25)
    finally:
        with psycopg.connect(aurora.dsn("dr_reader"), autocommit=True) as conn:
            conn.execute("UPDATE lag_state SET durability_lag_in_msec = 0, rpo_lag_in_msec = 0 "
                         "WHERE aws_region = 'ca-west-1'")
