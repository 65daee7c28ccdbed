"""Throughput and lag metrics of one processor, published to CloudWatch at most every few seconds.

Namespace from the config; metrics ``EventsProcessed`` (Count), ``EndToEndLatencyMs`` (statistic set
of event ``ts`` -> committed), ``MillisBehindLatest`` (max of the interval); dimension ``Region``.
Publishing is best effort: a CloudWatch outage is logged once and never stops ingestion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("htdr.processor")

PUBLISH_EVERY_S = 3.0


class MetricsPublisher:
    """Accumulates per-batch figures and flushes them as one ``PutMetricData`` per interval."""

    _processed: int
    _behind: int
    _lat_count: int
    _lat_sum: float
    _lat_min: float
    _lat_max: float

    def __init__(self, region: str, endpoint_url: str | None, namespace: str) -> None:
        self._client = boto3.client(
            "cloudwatch", region_name=region, endpoint_url=endpoint_url,
            config=BotoConfig(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
        )
        self._namespace = namespace
        self._dimensions = [{"Name": "Region", "Value": region}]
        self._last_flush = time.monotonic()
        self._failing = False
        self._reset()

    def record(self, processed: int, latencies_ms: Iterable[float], millis_behind_latest: int) -> None:
        self._processed += processed
        for value in latencies_ms:
            self._lat_count += 1
            self._lat_sum += value
            self._lat_min = min(self._lat_min, value)
            self._lat_max = max(self._lat_max, value)
        self._behind = max(self._behind, millis_behind_latest)

    def maybe_flush(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_flush < PUBLISH_EVERY_S:
            return
        self._last_flush = time.monotonic()
        data: list[dict[str, Any]] = [
            self._datum("EventsProcessed", "Count", Value=float(self._processed)),
            self._datum("MillisBehindLatest", "Milliseconds", Value=float(self._behind)),
        ]
        if self._lat_count:
            data.append(self._datum("EndToEndLatencyMs", "Milliseconds", StatisticValues={
                "SampleCount": float(self._lat_count), "Sum": self._lat_sum,
                "Minimum": self._lat_min, "Maximum": self._lat_max,
            }))
        try:
            self._client.put_metric_data(Namespace=self._namespace, MetricData=data)  # type: ignore[arg-type]
        except (BotoCoreError, ClientError) as err:
            if not self._failing:
                log.warning("CloudWatch metrics not published (%s); will retry", type(err).__name__)
            self._failing = True
            return
        self._failing = False
        self._reset()

    def _datum(self, name: str, unit: str, **value: Any) -> dict[str, Any]:
        return {"MetricName": name, "Dimensions": self._dimensions, "Unit": unit, **value}

    def _reset(self) -> None:
        self._processed = 0
        self._behind = 0
        self._lat_count = 0
        self._lat_sum = 0.0
        self._lat_min = float("inf")
        self._lat_max = 0.0
