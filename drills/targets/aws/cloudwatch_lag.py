"""The operator's monitoring view of the same lags, from CloudWatch, for the cross-check.

- Aurora (secondary side, dimension ``DBClusterIdentifier``): ``AuroraGlobalDBRPOLag`` and
  ``AuroraGlobalDBReplicationLag``, milliseconds (REFERENCE.md "Aurora PostgreSQL global database").
- Kinesis consumer lag: ``GetRecords.IteratorAgeMilliseconds`` of the stream (dimension ``StreamName``).
CloudWatch publishes these at one-minute resolution at best, so they cross-check the SQL samples; they
never replace them as the RPO (metric) at t0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.outputs import RegionalKey, Side
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs

RPO_LAG = "AuroraGlobalDBRPOLag"
REPLICATION_LAG = "AuroraGlobalDBReplicationLag"
ITERATOR_AGE = "GetRecords.IteratorAgeMilliseconds"


@dataclass(frozen=True)
class MetricPoint:
    t: float
    value_s: float


def _series(
    clients: ClientFactory,
    region: str,
    namespace: str,
    metric: str,
    dimension: tuple[str, str],
    start: datetime,
    end: datetime,
) -> list[MetricPoint]:
    response = clients("cloudwatch", region).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
            }
        ],
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampAscending",
    )
    result = response["MetricDataResults"][0]
    return [
        MetricPoint(t.timestamp(), float(v) / 1000.0)
        for t, v in zip(result["Timestamps"], result["Values"], strict=True)
    ]


def aurora_lag(
    outputs: AwsOutputs, clients: ClientFactory, metric: str, start: datetime, end: datetime | None = None
) -> list[MetricPoint]:
    """``metric`` (RPO or replication lag) of the DR cluster, in seconds, oldest first."""
    cluster = outputs.of(Side.DR, RegionalKey.DB_CLUSTER_ID)
    return _series(
        clients,
        outputs.region(Side.DR),
        "AWS/RDS",
        metric,
        ("DBClusterIdentifier", cluster),
        start,
        end or datetime.now(UTC),
    )


def consumer_lag(
    outputs: AwsOutputs, clients: ClientFactory, side: Side, start: datetime, end: datetime | None = None
) -> list[MetricPoint]:
    """Iterator age of ``side``'s stream consumer, in seconds, oldest first."""
    stream = outputs.of(side, RegionalKey.STREAM_NAME)
    return _series(
        clients,
        outputs.region(side),
        "AWS/Kinesis",
        ITERATOR_AGE,
        ("StreamName", stream),
        start,
        end or datetime.now(UTC),
    )


def cross_check(
    sql_lag_s: float | None, points: list[MetricPoint], at: float, window_s: float = 120.0
) -> str:
    """One line comparing the SQL sample at ``at`` with the CloudWatch maximum of the minutes around it."""
    near = [p.value_s for p in points if abs(p.t - at) <= window_s]
    if sql_lag_s is None:
        return "cross-check not made: no SQL lag sample at t0"
    if not near:
        return f"cross-check not made: no CloudWatch datapoint within {window_s:.0f} s of t0"
    peak = max(near)
    verdict = "consistent" if sql_lag_s <= peak + 1.0 else "SQL lag above CloudWatch's one-minute maximum"
    return (
        f"cross-check: SQL rpo_lag {sql_lag_s:.3f} s at t0, CloudWatch {RPO_LAG} max {peak:.3f} s "
        f"within {window_s:.0f} s: {verdict}"
    )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def window(at: float, before_s: float = 600.0, after_s: float = 300.0) -> tuple[datetime, datetime]:
    """The CloudWatch query window around an instant."""
    return _utc(at) - timedelta(seconds=before_s), _utc(at) + timedelta(seconds=after_s)
