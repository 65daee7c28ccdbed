"""Fixtures of the aws target tests: the fixture outputs file, fake credentials, a moto server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from drills.targets.aws.outputs import AwsOutputs
from drills.targets.local.scratch_postgres import PgCluster, free_port
from tests.moto_server import moto_server

FIXTURE = Path(__file__).parents[2] / "fixtures" / "aws" / "flat-outputs.json"


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard chain finds these; no real account is ever reached (Stubber or moto answers)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def outputs() -> AwsOutputs:
    return AwsOutputs.load(FIXTURE)


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One moto server over HTTP for the session (CloudFormation, CloudWatch, Secrets Manager)."""
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


#: Aurora's documented result columns of aurora_global_db_status(), backed by a table the test drives.
AURORA_STAND_IN = """
CREATE TABLE lag_state (aws_region text, durability_lag_in_msec bigint, rpo_lag_in_msec bigint);
CREATE FUNCTION aurora_global_db_status() RETURNS TABLE (aws_region text, highest_lsn_written bigint,
    durability_lag_in_msec bigint, rpo_lag_in_msec bigint, last_lag_calculation_time timestamptz,
    feedback_epoch int, feedback_xmin bigint)
LANGUAGE sql AS $$ SELECT aws_region, 0::bigint, durability_lag_in_msec, rpo_lag_in_msec, now(), 0, 0::bigint
                   FROM lag_state $$;
INSERT INTO lag_state VALUES ('ca-central-1', NULL, NULL), ('ca-west-1', 850, 1200);
"""


@pytest.fixture(scope="module")
def aurora_like() -> Iterator[str]:
    cluster = PgCluster.create(free_port(19300, 19400))
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute(AURORA_STAND_IN)
        yield cluster.dsn()
    finally:
        cluster.stop()


#: The stand-in of ``aurora``: the DR side caught up (lag 0), so a drill's RPO (metric) agrees with its data.
CAUGHT_UP_STAND_IN = AURORA_STAND_IN + (
    "UPDATE lag_state SET durability_lag_in_msec = 0, rpo_lag_in_msec = 0 WHERE aws_region = 'ca-west-1';")


@pytest.fixture(scope="module")
def aurora() -> Iterator[PgCluster]:
    """Aurora's SQL stood in by one scratch PostgreSQL (``tests.targets.aws.rig``'s three databases)."""
    cluster = PgCluster.create(free_port(19300, 19400))
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            for name in ("primary_writer", "dr_writer", "dr_reader"):
                conn.execute(f"CREATE DATABASE {name}")
        with psycopg.connect(cluster.dsn("dr_reader"), autocommit=True) as conn:
            conn.execute(CAUGHT_UP_STAND_IN)
        yield cluster
    finally:
        cluster.stop()
