"""``AwsDataPlane``'s AWS calls against the service models (botocore ``Stubber``), with the region,
secret and stream names of the fixture outputs file; its store reads against a real PostgreSQL.

The primary side's endpoints of the fixture are pointed at a scratch PostgreSQL (no TLS, trust
auth): the writer endpoint at a closed port, the reader at the server, so a read also proves that a
cluster whose writer endpoint does not answer is read through its reader endpoint. Everything else
(DB name and port, secret ARN, regions, stream names and ARNs) is the fixture's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from contracts.outputs import OutputKey, RegionalKey, Side, regional
from contracts.store import CHECKPOINT_TABLE, STORE_DDL
from drills.pipeline.request_signing import SigningError
from drills.targets.aws.credentials import CredentialsError
from drills.targets.aws.data_plane import AwsDataPlane
from drills.targets.aws.outputs import AwsOutputs
from drills.targets.aws.store_connection import AuroraConnInfo, DbTls
from drills.targets.local.ports import port_is_free
from drills.targets.local.scratch_postgres import PgCluster, scratch_cluster
from drills.targets.values import IngestMode, LoadSpec
from tests.targets.aws.stubs import StubbedAws

pytestmark = pytest.mark.sandbox  # a scratch PostgreSQL
SEQ = "49590338271490256608559692538361571095921575989136588898"
PASSWORD = "n0t-a-real-pa55word"


@pytest.fixture(scope="module")
def store() -> Iterator[PgCluster]:
    with scratch_cluster((19500, 19600), {"patients": STORE_DDL}) as cluster:
        yield cluster


@pytest.fixture
def local_outputs(outputs: AwsOutputs, store: PgCluster) -> AwsOutputs:
    closed = next(p for p in range(19600, 19700) if port_is_free(p))
    values = dict(outputs.values) | {
        regional(Side.PRIMARY, RegionalKey.WRITER_ENDPOINT): f"127.0.0.1:{closed}",
        regional(Side.PRIMARY, RegionalKey.READER_ENDPOINT): f"127.0.0.1:{store.port}",
    }
    return AwsOutputs(values=values, path=outputs.path)


def _secret(arn: str, body: dict[str, str]) -> dict[str, object]:
    return {"ARN": arn, "Name": arn.split(":")[-1], "VersionId": "a" * 32, "SecretString": json.dumps(body),
            "VersionStages": ["AWSCURRENT"], "CreatedDate": datetime(2026, 11, 1, tzinfo=UTC)}


def _expect_secret(aws: StubbedAws, outputs: AwsOutputs, side: Side) -> None:
    arn = outputs.get(OutputKey.DB_SECRET_ARN).replace(outputs.region(Side.PRIMARY), outputs.region(side))
    aws.expect("secretsmanager", outputs.region(side), "get_secret_value",
               _secret(arn, {"username": "postgres", "password": PASSWORD}), {"SecretId": arn})


def _plane(outputs: AwsOutputs, aws: StubbedAws, tmp_path: Path) -> AwsDataPlane:
    return AwsDataPlane(outputs, tmp_path, aws, tls=DbTls("disable"))


def _checkpoints(store: PgCluster, arn: str, rows: dict[str, str]) -> None:
    with psycopg.connect(store.dsn("patients"), autocommit=True) as conn:
        conn.execute(f"DELETE FROM {CHECKPOINT_TABLE}")
        for shard, seq in rows.items():
            conn.execute(f"INSERT INTO {CHECKPOINT_TABLE} (stream_name, shard_id, sequence_number) "
                         "VALUES (%s, %s, %s)", (arn, shard, seq))


def _shards(*ids: str) -> dict[str, object]:
    return {"Shards": [{"ShardId": s, "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"},
                        "SequenceNumberRange": {"StartingSequenceNumber": "1"}} for s in ids]}


def _records(count: int, arrived: datetime) -> dict[str, object]:
    return {"Records": [{"SequenceNumber": str(int(SEQ) + 1 + i), "Data": b"{}", "PartitionKey": "dev-1",
                         "ApproximateArrivalTimestamp": arrived} for i in range(count)],
            "NextShardIterator": "next-iterator", "MillisBehindLatest": 0}


def test_db_secret_is_read_once_from_its_home_region(local_outputs: AwsOutputs, tmp_path: Path) -> None:
    aws = StubbedAws()
    _expect_secret(aws, local_outputs, Side.PRIMARY)
    plane = _plane(local_outputs, aws, tmp_path)
    primary = local_outputs.region(Side.PRIMARY)
    assert plane.store_count(primary) == 0
    assert plane.store_count(primary) == 0  # a second read must not call Secrets Manager again
    aws.assert_done()


def test_db_secret_falls_back_to_its_dr_replica(local_outputs: AwsOutputs, tmp_path: Path) -> None:
    aws = StubbedAws()
    arn = local_outputs.get(OutputKey.DB_SECRET_ARN)
    aws.fail("secretsmanager", local_outputs.region(Side.PRIMARY), "get_secret_value", "InternalServiceError",
             {"SecretId": arn})
    _expect_secret(aws, local_outputs, Side.DR)
    assert _plane(local_outputs, aws, tmp_path).store_count(local_outputs.region(Side.PRIMARY)) == 0
    aws.assert_done()


def test_a_secret_without_the_keys_is_one_line_without_its_value(outputs: AwsOutputs) -> None:
    aws = StubbedAws()
    arn = outputs.get(OutputKey.DB_SECRET_ARN)
    for side in Side:
        replica = arn.replace(outputs.region(Side.PRIMARY), outputs.region(side))
        aws.expect("secretsmanager", outputs.region(side), "get_secret_value",
                   _secret(replica, {"user": "postgres", "pass": PASSWORD}), {"SecretId": replica})
    with pytest.raises(CredentialsError) as err:
        AuroraConnInfo(outputs, aws)(outputs.region(Side.PRIMARY))
    assert arn in str(err.value) and PASSWORD not in str(err.value) and "\n" not in str(err.value)


def test_aurora_connection_requires_tls_on_the_cluster_then_reader_endpoint(outputs: AwsOutputs) -> None:
    aws = StubbedAws()
    _expect_secret(aws, outputs, Side.PRIMARY)
    info = AuroraConnInfo(outputs, aws)(outputs.region(Side.DR))
    assert info["host"] == ",".join((outputs.of(Side.DR, RegionalKey.WRITER_ENDPOINT),
                                     outputs.of(Side.DR, RegionalKey.READER_ENDPOINT)))
    assert info["port"] == f"{outputs.get(OutputKey.DB_PORT)},{outputs.get(OutputKey.DB_PORT)}"
    assert (info["dbname"], info["sslmode"]) == (outputs.get(OutputKey.DB_NAME), "require")
    with pytest.raises(ValueError, match="rootcert"):
        DbTls("verify-full")
    with pytest.raises(ValueError, match=r"no-such-bundle\.pem: no such file"):
        DbTls.verified(Path("/nonexistent/no-such-bundle.pem"))


def test_unknown_region_names_the_deployed_ones(outputs: AwsOutputs, tmp_path: Path) -> None:
    plane = AwsDataPlane(outputs, tmp_path, StubbedAws())
    with pytest.raises(ValueError, match=r"'eu-west-1' is not in .*ca-central-1 or ca-west-1"):
        plane.stream_backlog("eu-west-1")


SHARD_0, SHARD_1 = "shardId-000000000000", "shardId-000000000001"


def _stream_with_checkpoint(outputs: AwsOutputs, store: PgCluster, shards: tuple[str, ...]) -> StubbedAws:
    """Shard 0 committed up to ``SEQ``, the others not at all; the secret read and ``list_shards``
    queued."""
    _checkpoints(store, outputs.of(Side.PRIMARY, RegionalKey.STREAM_ARN), {SHARD_0: SEQ})
    aws = StubbedAws()
    _expect_secret(aws, outputs, Side.PRIMARY)
    aws.expect("kinesis", outputs.region(Side.PRIMARY), "list_shards", _shards(*shards),
               {"StreamName": outputs.of(Side.PRIMARY, RegionalKey.STREAM_NAME)})
    return aws


def _expect_read(aws: StubbedAws, outputs: AwsOutputs, shard: str, after: str | None,
                 records: dict[str, object]) -> None:
    """One shard read: the iterator after ``after`` (from the oldest record when None), one GetRecords."""
    region, name = outputs.region(Side.PRIMARY), outputs.of(Side.PRIMARY, RegionalKey.STREAM_NAME)
    position = ({"ShardIteratorType": "TRIM_HORIZON"} if after is None else
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after})
    aws.expect("kinesis", region, "get_shard_iterator", {"ShardIterator": f"it-{shard}"},
               {"StreamName": name, "ShardId": shard, **position})
    aws.expect("kinesis", region, "get_records", records, {"ShardIterator": f"it-{shard}", "Limit": 1000})


def test_stream_backlog_reads_each_shard_after_its_committed_checkpoint(
        local_outputs: AwsOutputs, store: PgCluster, tmp_path: Path) -> None:
    aws = _stream_with_checkpoint(local_outputs, store, (SHARD_0, SHARD_1))
    _expect_read(aws, local_outputs, SHARD_0, SEQ, _records(2, datetime.now(UTC)))
    _expect_read(aws, local_outputs, SHARD_1, None, _records(0, datetime.now(UTC)))
    assert _plane(local_outputs, aws, tmp_path).stream_backlog(local_outputs.region(Side.PRIMARY)) == 2
    aws.assert_done()


def test_consumer_lag_is_the_age_of_the_first_record_after_the_checkpoint(
        local_outputs: AwsOutputs, store: PgCluster, tmp_path: Path) -> None:
    aws = _stream_with_checkpoint(local_outputs, store, (SHARD_0,))
    arrived = time.time() - 5.0
    _expect_read(aws, local_outputs, SHARD_0, SEQ, _records(1, datetime.fromtimestamp(arrived, UTC)))
    plane = _plane(local_outputs, aws, tmp_path)
    before = time.time()
    lag = plane.consumer_lag_s(local_outputs.region(Side.PRIMARY))
    assert lag is not None and before - arrived - 0.01 <= lag <= time.time() - arrived + 0.01
    aws.assert_done()
    plane.close()


def test_load_without_aws_credentials_is_refused_before_a_producer_starts(
        outputs: AwsOutputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    plane = AwsDataPlane(outputs, tmp_path / "drill", StubbedAws())
    with pytest.raises(SigningError, match="no AWS credentials found"):
        plane.start_load(LoadSpec(rate_per_min=600, duration_s=10, ingest=IngestMode.SINGLE))
    assert plane.ledger_path() is None and not (tmp_path / "drill").exists()
