"""The committed AWS instance configuration loads as a Dagster instance, against real engines.

``dagster_home/dagster.aws.yaml`` is read exactly as the control-plane image uses it, with the
environment the synthesized task definitions give the containers:
- dagster's own instance-config schema validates it (``dagster_instance_config``);
- ``DagsterInstance.from_config`` builds every part: dagster-postgres storage on a real PostgreSQL, and
  ``EcsRunLauncher``, which at construction describes the run task definition in ECS (a moto server
  over HTTP holding the task definition synthesized by the CDK app) and checks its container is the
  one it will override.
The PostgreSQL binaries here (pgserver) are built without SSL, so the loaded copy differs from the
committed file in ``sslmode`` only (``require`` → ``disable``), and the test proves that is the only
difference; TLS itself is enforced on Aurora by ``rds.force_ssl`` (asserted in test_control_plane).
PostgreSQL on ports 19800-19849.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.instance.config import dagster_instance_config

from cdk_app.constructs.dagster_service import PROJECT_ROOT
from drills.targets.local.scratch_postgres import PgCluster, scratch_cluster
from tests.cdk_app.conftest import Synthesized
from tests.moto_server import moto_server

pytestmark = pytest.mark.sandbox
INSTANCE_YAML = PROJECT_ROOT / "dagster_home/dagster.aws.yaml"
REGION = "ca-west-1"
RUN_FAMILY = "htdr-drill-run-test"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PgCluster]:
    with scratch_cluster((19800, 19850), {"dagster": ""}) as cluster:
        yield cluster


def _without_tls(config_dir: Path) -> None:
    """The committed yaml with sslmode 'disable' (this PostgreSQL build has no SSL), nothing else."""
    committed = INSTANCE_YAML.read_text()
    local = committed.replace("sslmode: require", "sslmode: disable")
    assert yaml.safe_load(committed)["storage"]["postgres"]["postgres_db"]["params"] == {"sslmode": "require"}
    changed = [(a, b) for a, b in zip(committed.splitlines(), local.splitlines(), strict=True) if a != b]
    assert changed == [("        sslmode: require", "        sslmode: disable")]
    (config_dir / "dagster.yaml").write_text(local)


@pytest.fixture(scope="module")
def ecs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto"), sandbox=False) as url:
        yield url


def _container(synthesized: Synthesized, family: str) -> dict[str, Any]:
    (task,) = [
        r["Properties"]
        for r in synthesized.resources("AWS::ECS::TaskDefinition", "DrillControlPlane").values()
        if r["Properties"]["Family"] == family
    ]
    (container,) = task["ContainerDefinitions"]
    return container


def _register_run_task(synthesized: Synthesized, ecs_url: str) -> None:
    """Register the synthesized run task definition (its family and container names) in moto's ECS."""
    container = _container(synthesized, RUN_FAMILY)
    ecs = boto3.client(
        "ecs", region_name=REGION, endpoint_url=ecs_url, aws_access_key_id="t", aws_secret_access_key="t"
    )
    ecs.register_task_definition(
        family=RUN_FAMILY,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="4096",
        containerDefinitions=[{"name": container["Name"], "image": "control-plane:test", "essential": True}],
    )


def _daemon_environment(synthesized: Synthesized, pg: PgCluster) -> dict[str, str]:
    """The daemon container's environment as ECS would give it: literal values from the template,
    database values pointing at the test's PostgreSQL, secrets from the (test) secret."""
    container = _container(synthesized, "htdr-dagster-daemon-test")
    env = {e["Name"]: e["Value"] for e in container["Environment"] if isinstance(e["Value"], str)}
    env.update({"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(pg.port), "DAGSTER_PG_DB": "dagster"})
    secrets = {s["Name"] for s in container["Secrets"]}
    assert secrets == {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"}
    env.update({"DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": "trust-auth-ignores-it"})
    return env


def test_instance_yaml_passes_dagsters_instance_schema(tmp_path: Path) -> None:
    shutil.copy(INSTANCE_YAML, tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert config["run_launcher"]["class"] == "EcsRunLauncher"
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 1
    assert "postgres" in config["storage"]


def test_instance_loads_with_postgres_storage_and_the_ecs_run_launcher(
    synthesized: Synthesized,
    postgres: PgCluster,
    ecs_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_postgres import PostgresRunStorage

    _register_run_task(synthesized, ecs_url)
    for name, value in {
        **_daemon_environment(synthesized, postgres),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_ECS": ecs_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    _without_tls(tmp_path)
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.task_definition.endswith(f":task-definition/{RUN_FAMILY}:1")
        assert launcher.container_name == "run"
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert instance.get_runs() == []
        assert type(instance.scheduler).__name__ == "DagsterDaemonScheduler"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    finally:
        instance.dispose()
    import psycopg

    with psycopg.connect(postgres.dsn("dagster")) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables
