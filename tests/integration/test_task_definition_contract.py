"""The processor's task definition, run exactly as ECS would run it, against the sandbox.

The app is synthesized for the sandbox (its suffix, regions and secret ARNs, as an operator passes
them); the primary processor's container definition is read from the template and its ``Command`` is
run in the staged image build context with its ``Environment`` (tokens replaced by the sandbox's
outputs) and its ``Secrets`` fetched from the sandbox's Secrets Manager by ``valueFrom``; AWS
endpoints reach the sandbox through botocore's standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables.
Only two values are overridden, because the sandbox serves no TLS: the template's must be the
secure ones. A change to the task definition or to the processor that breaks the other fails here.

The same processes prove the shard leases: two of them split four shards, one is killed with
SIGKILL, the other takes its shards over on lease expiry, and the store ends with exactly the events
put on the stream, every shard's checkpoint at its last record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk_app.app import build, new_app
from contracts import processor_environment as penv
from contracts.outputs import OutputKey, RegionalKey, Side
from drills.pipeline.device_fleet import DeviceFleet
from tests.integration.deployment import Deployment
from tests.integration.task_definition import ContainerContract, resolved_environment
from tests.targets.local.conftest import eventually, running, settings_in, state_root

pytestmark = pytest.mark.sandbox
PORT_BASE = 16600
SHARDS = 4
#: The only departures from the template: the sandbox's PostgreSQL and Valkey speak no TLS.
NO_TLS = {penv.DB_SSLMODE: ("require", "disable"), penv.CACHE_TLS: ("true", "false")}


@dataclass(frozen=True)
class Harness:
    deployment: Deployment
    contract: ContainerContract
    environment: dict[str, str]
    logs: Path


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    # moto accepts any credentials; this test process's boto3 still wants some.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "sandbox")
    with state_root() as root, running(settings_in(root, PORT_BASE, stream_shards=SHARDS,
                                                   with_pipeline=False)) as sandbox:
        deployment = Deployment.load(sandbox.settings.outputs_path)
        outdir = tmp_path_factory.mktemp("cdk.out")
        app, config = new_app({
            "environmentSuffix": deployment.outputs[OutputKey.ENVIRONMENT_SUFFIX],
            "primaryRegion": deployment.region(Side.PRIMARY),
            "drRegion": deployment.region(Side.DR),
            "dbSecret": deployment.outputs[OutputKey.DB_SECRET_ARN],
            "cacheSecret": deployment.outputs[OutputKey.CACHE_SECRET_ARN],
        }, str(outdir))
        stacks = build(app, config)
        app.synth()
        contract = ContainerContract.from_template(outdir, stacks["PrimaryServices"].artifact_id, "processor")
        environment = resolved_environment(contract, deployment, Side.PRIMARY)
        yield Harness(deployment, contract, environment, tmp_path_factory.mktemp("processor-logs"))


def _process_environment(h: Harness) -> dict[str, str]:
    """The task's environment plus what the platform gives a task: credentials from the standard
    chain (moto accepts any), the sandbox's endpoints, the image's own ENV and the interpreter on PATH."""
    endpoint = h.deployment.outputs[f"{Side.PRIMARY.value}{RegionalKey.AWS_ENDPOINT_URL.value}"]
    environment = dict(h.environment)
    for name, (template_value, sandbox_value) in NO_TLS.items():
        assert environment[name] == template_value, f"{name}: the template must ask for TLS"
        environment[name] = sandbox_value
    return {
        **environment,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_ENDPOINT_URL_KINESIS": endpoint,
        "AWS_ENDPOINT_URL_CLOUDWATCH": endpoint,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def processors(h: Harness, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` tasks of the task definition, each its own process; all stopped afterwards."""
    procs = []
    for _ in range(count):
        log = (h.logs / f"processor-{len(list(h.logs.iterdir()))}.log").open("wb")
        procs.append(subprocess.Popen(h.contract.command, cwd=h.contract.image_dir,
                                      env=_process_environment(h), stdout=log, stderr=subprocess.STDOUT))
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def put_events(h: Harness, start: int, count: int) -> dict[int, int]:
    """Fleet events straight on the primary stream (the sandbox runs no ingest API here)."""
    kinesis = h.deployment.client("kinesis", Side.PRIMARY)
    stream = h.deployment.get(Side.PRIMARY, RegionalKey.STREAM_NAME)
    fleet, expected = DeviceFleet(devices=64, seed=start + 1), dict[int, int]()
    for offset in range(start, start + count, 500):
        batch = [fleet.event(i, time.time()) for i in range(offset, min(offset + 500, start + count))]
        response = kinesis.put_records(StreamName=stream, Records=[
            {"Data": json.dumps(e.payload).encode(), "PartitionKey": e.device_id} for e in batch])
        assert response["FailedRecordCount"] == 0
        expected |= {e.event_key: e.digest for e in batch}
    return expected


def query(h: Harness, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with h.deployment.db(Side.PRIMARY) as conn:
        exists = conn.execute("SELECT to_regclass('shard_leases')").fetchone()
        if not exists or exists[0] is None:
            return []
        return conn.execute(sql, args).fetchall()


def stored(h: Harness, keys: dict[int, int]) -> dict[int, int]:
    rows = query(h, "SELECT event_key, payload_digest FROM vitals_events WHERE event_key = ANY(%s)",
                 list(keys))
    return {int(k): int(d) for k, d in rows}


def owners(h: Harness) -> dict[str, str | None]:
    """shard -> owner of the live lease (None when released or expired)."""
    rows = query(h, "SELECT shard_id, CASE WHEN expires_at > clock_timestamp() THEN owner END "
                    "FROM shard_leases")
    return {str(shard): owner for shard, owner in rows}


def test_template_asks_for_tls_and_keeps_credentials_out_of_the_environment(harness: Harness) -> None:
    for name, (template_value, _) in NO_TLS.items():
        assert harness.contract.environment[name] == template_value
    assert set(harness.contract.secrets) == set(penv.SECRET_SOURCES)
    assert not set(harness.contract.environment) & set(penv.SECRET_SOURCES)


def test_the_command_runs_the_code_of_the_image_build_context(harness: Harness) -> None:
    """What the command imports comes from the staged build context (what the image holds), not
    from this checkout: a module the Dockerfile or .dockerignore leaves out fails here."""
    done = subprocess.run(
        [*harness.contract.command[:1], "-c", "import drills.pipeline.processor as p; print(p.__file__)"],
        cwd=harness.contract.image_dir, env=_process_environment(harness), capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(harness.contract.image_dir)


def test_the_task_definition_consumes_the_sandbox_stream_into_its_store(harness: Harness) -> None:
    expected = put_events(harness, 0, 3_000)
    with processors(harness, 1) as (proc,):
        eventually(lambda: stored(harness, expected) == expected or proc.poll() is not None, 90,
                   "the task's processor storing the stream's events", interval_s=0.5)
        assert proc.poll() is None, (harness.logs / "processor-0.log").read_text()[-2000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert stored(harness, expected) == expected
    cloudwatch = harness.deployment.client("cloudwatch", Side.PRIMARY)
    namespace = harness.environment[penv.METRICS_NAMESPACE]  # the task role may publish only here
    metrics = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert "EventsProcessed" in {m["MetricName"] for m in metrics}
    log = (harness.logs / "processor-0.log").read_text()
    for name in penv.SECRET_SOURCES:
        if name != penv.DB_USERNAME:
            assert harness.environment[name] not in log


def test_two_tasks_split_the_shards_and_the_survivor_takes_over_a_killed_ones(harness: Harness) -> None:
    ttl = float(harness.environment[penv.LEASE_TTL_S])
    before = put_events(harness, 10_000, 2_000)
    with processors(harness, 2) as (first, second):
        def split() -> bool:
            held = list(owners(harness).values())
            return len(held) == SHARDS and None not in held and sorted(
                held.count(o) for o in set(held)) == [SHARDS // 2, SHARDS // 2]

        eventually(split, 10 * ttl, "two tasks holding two shards each", interval_s=0.5)
        eventually(lambda: stored(harness, before) == before, 60, "events before the kill", interval_s=0.5)
        victim = first
        during = put_events(harness, 20_000, 2_000)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        after = put_events(harness, 30_000, 2_000)

        def taken_over() -> bool:
            held = owners(harness)
            return len(set(held.values())) == 1 and None not in held.values()

        eventually(taken_over, 3 * ttl, "the survivor holding every shard after lease expiry", interval_s=0.5)
        expected = before | during | after
        eventually(lambda: stored(harness, expected) == expected, 60, "every event stored", interval_s=0.5)
        assert second.poll() is None
    # no event missing or altered (above), no row twice, every shard consumed to its last record
    count = query(harness, "SELECT count(*) FROM vitals_events WHERE event_key = ANY(%s)", list(expected))
    assert count[0][0] == len(expected)
    kinesis = harness.deployment.client("kinesis", Side.PRIMARY)
    stream = harness.deployment.get(Side.PRIMARY, RegionalKey.STREAM_NAME)
    arn = harness.deployment.get(Side.PRIMARY, RegionalKey.STREAM_ARN)
    checkpoints = dict(query(harness, "SELECT shard_id, sequence_number FROM stream_checkpoints "
                                      "WHERE stream_name = %s", arn))
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        last = _last_sequence(kinesis, stream, shard["ShardId"])
        assert checkpoints.get(shard["ShardId"]) == last, shard["ShardId"]


def _last_sequence(kinesis: Any, stream: str, shard: str) -> str | None:
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    last = None
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        if page["Records"]:
            last = page["Records"][-1]["SequenceNumber"]
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            break
        iterator = page.get("NextShardIterator")
    return last
