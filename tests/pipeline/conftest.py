"""Engine fixtures of the pipeline tests: real moto server, Valkey and PostgreSQL, started once."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import SecretStr

from contracts import processor_environment as penv
from drills.pipeline.config import IngestApiConfig, ProcessorConfig
from drills.pipeline.ingest_api import build_server
from tests.pipeline.engines import MotoServer, Postgres, Valkey, free_port

PRIMARY_REGION = "ca-central-1"
DR_REGION = "ca-west-1"
CACHE_TOKEN = "test-only-cache-token"

# boto3 needs credentials even against moto; these are moto's dummies, set at the test edge.
# The producer signs with the chain's default region when the routing file names none.
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": PRIMARY_REGION}.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def valkey() -> Iterator[Valkey]:
    server = Valkey(CACHE_TOKEN)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    cluster = Postgres()
    yield cluster
    cluster.stop()


def aws(moto: MotoServer, service: str, region: str = PRIMARY_REGION) -> Any:
    """A boto3 client of ``service`` talking to the session's moto server."""
    return boto3.client(service, region_name=region, endpoint_url=moto.url)  # type: ignore[call-overload]


@pytest.fixture
def make_stream(moto: MotoServer) -> Callable[..., str]:
    """Create a uniquely named stream (moto state is shared by the whole session)."""

    def create(shards: int = 1, region: str = PRIMARY_REGION) -> str:
        name = f"vitals-{uuid.uuid4().hex[:8]}"
        client = aws(moto, "kinesis", region)
        client.create_stream(StreamName=name, ShardCount=shards)
        client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
        return name

    return create


@pytest.fixture
def store_db(postgres: Postgres) -> str:
    name = f"store_{uuid.uuid4().hex[:10]}"
    postgres.create_database(name)
    return name


@pytest.fixture
def ingest_api(moto: MotoServer) -> Iterator[Callable[..., tuple[str, object]]]:
    """Start in-thread ingest APIs; returns (URL, server) so a test can reach the forwarder."""
    servers = []

    def start(stream: str, region: str = PRIMARY_REGION, endpoint_url: str | None = None
              ) -> tuple[str, object]:
        config = IngestApiConfig(port=free_port(), region=region, stream_name=stream,
                                 endpoint_url=endpoint_url or moto.url)
        server = build_server(config)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{config.port}/", server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def processor_config(moto: MotoServer, valkey: Valkey, stream: str, port: int,
                     dbname: str, region: str = PRIMARY_REGION, **overrides: object) -> ProcessorConfig:
    """What ECS would give the task (credentials resolved), for the engines of this session."""
    return ProcessorConfig(
        region=region, endpoint_url=moto.url, stream_name=stream, db_host="127.0.0.1", db_port=port,
        db_name=dbname, db_username=Postgres.USER, db_password=SecretStr(Postgres.PASSWORD),
        db_sslmode="disable", cache_host="127.0.0.1", cache_port=valkey.port,
        cache_auth_token=SecretStr(CACHE_TOKEN), cache_tls=False, **overrides,  # type: ignore[arg-type]
    )


def processor_environ(config: ProcessorConfig, moto: MotoServer) -> dict[str, str]:
    """The environment of a processor process for ``config``: the task definition's variables (no
    worker id: each process is a new task, as on ECS) and the AWS endpoint through botocore's
    standard variable."""
    environment = {**os.environ, **config.to_environ(), "AWS_ENDPOINT_URL": moto.url}
    environment.pop(penv.WORKER_ID)
    return environment


def store_rows(cluster: Postgres, dbname: str) -> dict[int, int]:
    """event_key -> payload_digest of everything in a store (empty before the schema exists)."""
    with cluster.admin(dbname) as conn:
        exists = conn.execute("SELECT to_regclass('vitals_events')").fetchone()
        if not exists or exists[0] is None:
            return {}
        return dict(conn.execute("SELECT event_key, payload_digest FROM vitals_events").fetchall())


def store_count(cluster: Postgres, dbname: str) -> int:
    """Rows in a store (0 before the schema exists): cheap enough to poll."""
    with cluster.admin(dbname) as conn:
        exists = conn.execute("SELECT to_regclass('vitals_events')").fetchone()
        if not exists or exists[0] is None:
            return 0
        row = conn.execute("SELECT count(*) FROM vitals_events").fetchone()
        return int(row[0]) if row else 0


def write_json(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, default=str))
    return path
