"""Measurement on AWS without an account: the SQL probe against a real PostgreSQL that defines
``aurora_global_db_status()`` with Aurora's columns (the real function exists only on Aurora), the
CloudWatch reads against a moto server, the credentials from moto Secrets Manager."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import psycopg
import pytest

from contracts.outputs import OutputKey, Side
from drills.targets.aws.aurora_lag import AuroraLagProbe
from drills.targets.aws.cloudwatch_lag import RPO_LAG, aurora_lag, consumer_lag, cross_check
from drills.targets.aws.credentials import CredentialsError, db_credentials, replica_arn, writer_dsn
from drills.targets.aws.outputs import AwsOutputs
from tests.targets.aws.stubs import StubbedAws

pytestmark = pytest.mark.sandbox


def test_sql_probe_reads_the_dr_regions_rpo_lag_and_follows_it(aurora_like: str) -> None:
    probe = AuroraLagProbe(aurora_like, "ca-west-1")
    try:
        assert probe() == 1.2 and probe.durability_lag_s() == 0.85
        with psycopg.connect(aurora_like, autocommit=True) as conn:
            conn.execute("UPDATE lag_state SET rpo_lag_in_msec = 40 WHERE aws_region = 'ca-west-1'")
        assert probe() == 0.04
    finally:
        probe.close()


def test_sql_probe_is_unreadable_not_zero_and_recovers(aurora_like: str) -> None:
    assert AuroraLagProbe(aurora_like, "us-east-1")() is None  # region not in the global cluster
    probe = AuroraLagProbe(aurora_like, "ca-west-1")
    try:
        with psycopg.connect(aurora_like, autocommit=True) as conn:
            conn.execute("ALTER FUNCTION aurora_global_db_status() RENAME TO hidden_status")
            assert probe() is None
            conn.execute("ALTER FUNCTION hidden_status() RENAME TO aurora_global_db_status")
        assert probe() is not None
    finally:
        probe.close()


def test_cloudwatch_lags_and_cross_check(outputs: AwsOutputs, moto_url: str) -> None:
    """A deployment of its own (suffix ``cwcheck``): the session's moto server is shared with other tests."""
    outputs = replace(
        outputs,
        values={
            **outputs.values,
            "DrDbClusterId": "htdr-patients-dr-cwcheck",
            "PrimaryStreamName": "htdr-events-cwcheck",
        },
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cw_dr = boto3.client("cloudwatch", region_name="ca-west-1", endpoint_url=moto_url)
    cw_primary = boto3.client("cloudwatch", region_name="ca-central-1", endpoint_url=moto_url)
    for minutes, value in ((3, 400.0), (2, 1500.0), (1, 900.0)):
        cw_dr.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": RPO_LAG,
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "htdr-patients-dr-cwcheck"}],
                    "Timestamp": now - timedelta(minutes=minutes),
                    "Value": value,
                    "Unit": "Milliseconds",
                }
            ],
        )
    cw_primary.put_metric_data(
        Namespace="AWS/Kinesis",
        MetricData=[
            {
                "MetricName": "GetRecords.IteratorAgeMilliseconds",
                "Dimensions": [{"Name": "StreamName", "Value": "htdr-events-cwcheck"}],
                "Timestamp": now - timedelta(minutes=1),
                "Value": 2500.0,
                "Unit": "Milliseconds",
            }
        ],
    )
    clients = StubbedAws(moto_url, frozenset({"cloudwatch"}))
    start = now - timedelta(minutes=10)

    points = aurora_lag(outputs, clients, RPO_LAG, start, now + timedelta(minutes=1))
    assert [p.value_s for p in points] == [0.4, 1.5, 0.9]
    assert [
        p.value_s for p in consumer_lag(outputs, clients, Side.PRIMARY, start, now + timedelta(minutes=1))
    ] == [2.5]

    at = (now - timedelta(minutes=2)).timestamp()
    assert cross_check(1.2, points, at).endswith("consistent")
    assert "SQL lag above" in cross_check(9.0, points, at)
    assert cross_check(None, points, at).startswith("cross-check not made")
    assert "no CloudWatch datapoint" in cross_check(1.0, points, at + 3600)


def test_the_dr_side_reads_the_secrets_replica_in_its_own_region() -> None:
    arn = "arn:aws:secretsmanager:ca-central-1:111122223333:secret:htdr/drill1/aurora-master-AbCdEf"
    assert replica_arn(arn, "ca-west-1") == arn.replace("ca-central-1", "ca-west-1")
    assert replica_arn("htdr/drill1/aurora-master", "ca-west-1") == "htdr/drill1/aurora-master"


def test_credentials_from_the_named_secret_never_show_the_password(
    outputs: AwsOutputs, moto_url: str
) -> None:
    sm = boto3.client("secretsmanager", region_name="ca-west-1", endpoint_url=moto_url)
    arn = sm.create_secret(
        Name="htdr/drill1/aurora-master-measure",
        SecretString=json.dumps({"username": "htdr_admin", "password": "s3cr3t/p@ss"}),
    )["ARN"]
    bad = sm.create_secret(
        Name="htdr/drill1/bad-measure", SecretString=json.dumps({"user": "leaky-value-123"})
    )["ARN"]
    clients = StubbedAws(moto_url, frozenset({"secretsmanager"}))
    named = replace(outputs, values={**outputs.values, OutputKey.DB_SECRET_ARN.value: arn})

    creds = db_credentials(named, clients, Side.DR)
    assert (creds.username, creds.password) == ("htdr_admin", "s3cr3t/p@ss")
    assert "s3cr3t" not in repr(creds)
    dsn = writer_dsn(named, Side.DR, creds)
    assert dsn.startswith("postgresql://htdr_admin:s3cr3t%2Fp%40ss@htdr-patients-dr-drill1.cluster-")
    assert dsn.endswith(":5432/patients?sslmode=require&connect_timeout=5")

    with pytest.raises(CredentialsError, match=f"secret {bad}: expected JSON") as err:
        db_credentials(
            replace(outputs, values={**outputs.values, OutputKey.DB_SECRET_ARN.value: bad}), clients, Side.DR
        )
    assert "leaky-value-123" not in str(err.value)
