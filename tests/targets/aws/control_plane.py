"""The deployment's state as the aws target's probes read it, moved by the actions' calls the way AWS
moves it, for drills run end to end without an account.

The actions' clients stay botocore ``Stubber``s (every call expected, in order, validated against the
service model); ``watch`` wraps them and records every call. What the drill polls an unknown number
of times (``describe_services`` for ``processor_alive``, ``describe_global_clusters`` for
``replication_streaming``) is answered from this state by ``probes``, each request and response
validated against the service model with botocore's own validator. The effects modelled:
- ECS ``UpdateService``: the service runs its new desired count;
- FIS ``aws:ecs:stop-task`` (the template stops ONE task): one task fewer runs until ECS is asked again;
- FIS data-subnet disruption: the primary writer stops accepting connections (``WriterDoors``)
  until the experiment is stopped;
- API Gateway stage throttled to 0: that region's ingest stops acknowledging (the data plane);
- Aurora switchover/failover: the writer moves to the target cluster's region;
- ElastiCache ``TestFailover`` of the primary cache group (``CacheWorld``, a real Valkey pair): the
  primary node fails (its endpoint refuses connections) once its replica has every write; when a
  describe lists another node as the primary, that node is the writable primary and the other its
  replica, and the primary endpoint leads to it (ElastiCache's DNS switch);
and the data plane processes a region's stream while that region holds the writer and runs all its
desired tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import boto3
from botocore.validate import validate_parameters

from drills.targets.local.scratch_postgres import free_port
from drills.targets.session_store import CacheEndpoint
from tests.fakes.fake_data_plane import FakeDataPlane
from tests.targets.aws.aws_world import ACTIVE, ARN, CACHE_NODES, STANDBY, TEMPLATES, D, P, _global, _service
from tests.targets.aws.stubs import StubbedAws
from tests.targets.valkey_pair import PORTS, ValkeyPair

Call = tuple[str, str, str, dict[str, Any]]


class WriterDoors(Protocol):
    """Lets a test close and reopen the primary writer database to new connections."""

    def close(self) -> None: ...

    def open(self) -> None: ...


class CacheWorld:
    """The primary cache group as two real Valkey nodes behind one primary endpoint."""

    def __init__(self, pair: ValkeyPair) -> None:
        self.pair = pair
        self.nodes = dict(zip(CACHE_NODES, (pair.primary, pair.replica), strict=True))
        self.primary = CACHE_NODES[0]
        self.failed = False
        nowhere = free_port(PORTS[1], PORTS[1] + 50)  # nothing listens: connections are refused at once
        self._nowhere = CacheEndpoint(pair.primary.host, nowhere, pair.primary.token)

    def endpoint(self) -> CacheEndpoint:
        """Where the primary endpoint's name leads now (nowhere while the primary node has failed)."""
        return self._nowhere if self.failed else self.nodes[self.primary]

    def acknowledge(self) -> None:
        """The replica acknowledges what it has (a real replica does so about once a real second; a
        drill on the manual clock lasts milliseconds of real time, so the rig calls this on the
        manual clock instead, and the primary's view of the replica's offset stays current)."""
        if not self.failed:
            self.pair.sync(self.nodes[self.primary])

    def test_failover(self) -> None:
        assert self.pair.sync(self.nodes[self.primary]) == 1
        self.failed = True

    def described(self, response: dict[str, Any]) -> None:
        """A describe listing another node as the primary than the one that failed (or than the
        current one): that node is promoted and the primary endpoint leads to it."""
        members = response["ReplicationGroups"][0]["NodeGroups"][0]["NodeGroupMembers"]
        primary = next((m["CacheClusterId"] for m in members if m["CurrentRole"] == "primary"), None)
        if primary is not None and primary != self.primary:
            self.pair.make_primary(self.nodes[primary])
            self.primary, self.failed = primary, False


class _Proxy:
    """A client whose every operation goes through ``call(operation, params)``."""

    def __init__(self, call: Callable[[str, dict[str, Any]], Any]) -> None:
        self._call = call

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        return lambda **params: self._call(operation, params)


class ControlPlane:
    def __init__(self, data: FakeDataPlane, doors: WriterDoors, cache: CacheWorld | None = None) -> None:
        self.data, self.doors, self.cache = data, doors, cache
        self.desired = {P: ACTIVE, D: STANDBY}
        self.running = dict(self.desired)
        self.writer = P
        self.calls: list[Call] = []  # every call of the actions' clients that succeeded, in order
        self._models: dict[tuple[str, str], Any] = {}

    # ---- the actions' clients -------------------------------------------------------------------
    def watch(self, aws: StubbedAws, after: Callable[[str], None] = lambda _: None
              ) -> Callable[[str, str], Any]:
        """``aws``'s clients, each call recorded and its effect applied; ``after(operation)`` runs next
        (a test's hook, e.g. the operator pressing Ctrl-C)."""

        def client(service: str, region: str) -> Any:
            real = aws(service, region)

            def call(operation: str, params: dict[str, Any]) -> Any:
                response = getattr(real, operation)(**params)
                self.calls.append((service, region, operation, params))
                self._observe(service, region, operation, params)
                if self.cache is not None and service == "elasticache":
                    if operation == "test_failover":
                        self.cache.test_failover()
                    elif operation == "describe_replication_groups":
                        self.cache.described(response)
                self.data.processing = {r: 0 < self.desired[r] <= self.running[r] for r in self.desired}
                self.data.writer = self.writer
                after(operation)
                return response

            return _Proxy(call)

        return client

    def _observe(self, service: str, region: str, operation: str, params: dict[str, Any]) -> None:
        if (service, operation) == ("ecs", "update_service"):
            self.desired[region] = self.running[region] = int(params["desiredCount"])
        elif (service, operation) == ("fis", "start_experiment"):
            if params["experimentTemplateId"] == TEMPLATES["ecs-stop-task"]:
                self.running[region] -= 1
            else:
                self.doors.close()
        elif (service, operation) == ("fis", "stop_experiment"):
            self.doors.open()
        elif (service, operation) == ("apigateway", "update_stage"):
            rate = params["patchOperations"][0]["value"]
            self.data.ingest_up[region] = rate != "0"
        elif service == "rds" and operation in ("failover_global_cluster", "switchover_global_cluster"):
            self.writer = next(r for r, arn in ARN.items() if arn == params["TargetDbClusterIdentifier"])

    # ---- the probes' clients --------------------------------------------------------------------
    def probes(self) -> Callable[[str, str], Any]:
        def client(service: str, region: str) -> Any:
            return _Proxy(lambda operation, params: self._answer(service, region, operation, params))

        return client

    def _answer(self, service: str, region: str, operation: str, params: dict[str, Any]) -> Any:
        model = self._operation(service, region, operation)
        validate_parameters(params, model.input_shape)
        if (service, operation) == ("ecs", "describe_services"):
            response = _service(region, self.desired[region], self.running[region])
        elif (service, operation) == ("rds", "describe_global_clusters"):
            response = _global(self.writer)
        else:
            raise AssertionError(f"no probe reads {service}.{operation}")
        validate_parameters(response, model.output_shape)
        return response

    def _operation(self, service: str, region: str, operation: str) -> Any:
        if (service, region) not in self._models:
            self._models[(service, region)] = boto3.client(service, region_name=region).meta  # type: ignore[call-overload]
        meta = self._models[(service, region)]
        return meta.service_model.operation_model(meta.method_to_api_mapping[operation])
