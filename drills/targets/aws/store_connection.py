"""How the drill reaches a region's Aurora store: libpq keyword arguments from the outputs and the DB secret.

Per region: the cluster (writer) endpoint, then the reader endpoint as a second libpq host (libpq
tries them in order, so a secondary cluster whose writer endpoint does not answer is still read
through its readers), ``DbPort`` and ``DbName`` from the outputs. An endpoint given as ``host:port``
(the sandbox's outputs: each of its engines has its own port) keeps its own port.

The username and password come from the DB secret (``contracts.secrets`` keys), read ONCE, from its
home (primary) region, else from its replica in the DR region, and kept in memory only; they go into
the dict handed to psycopg and are never logged or put in an exception.

TLS: Aurora PostgreSQL with ``rds.force_ssl`` accepts TLS connections only. The default ``DbTls()``
is ``sslmode=require`` (encrypted, server not verified): the RDS CA bundle is a download from AWS
this project cannot ship. Given the bundle (``DbTls.verified(path)``) it is ``verify-full``, which
checks the endpoint's certificate against it, as AWS recommends:
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL.html
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from contracts.outputs import OutputKey, RegionalKey
from drills.targets.aws.credentials import DbCredentials, db_credentials, home_or_replica
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs

SslMode = Literal["disable", "require", "verify-ca", "verify-full"]


@dataclass(frozen=True)
class DbTls:
    """``sslmode`` of the store connections, and the CA bundle a verifying mode checks against.

    ``disable`` exists for the sandbox only, whose PostgreSQL serves no TLS."""

    sslmode: SslMode = "require"
    rootcert: Path | None = None

    def __post_init__(self) -> None:
        if self.sslmode.startswith("verify") and self.rootcert is None:
            raise ValueError(f"sslmode {self.sslmode}: give the RDS CA bundle (rootcert) to verify against")

    @classmethod
    def verified(cls, ca_bundle: Path) -> DbTls:
        """``verify-full`` against the RDS CA bundle at ``ca_bundle`` (global-bundle.pem)."""
        if not ca_bundle.is_file():
            raise ValueError(f"RDS CA bundle {ca_bundle}: no such file; download global-bundle.pem "
                             "(see the Aurora user guide, Using SSL/TLS) and pass its path")
        return cls("verify-full", ca_bundle)


class AuroraConnInfo:
    """``conninfo(region)`` for ``drills.targets.pg_event_store.PgEventStore``; safe across threads."""

    def __init__(self, outputs: AwsOutputs, clients: ClientFactory, tls: DbTls | None = None) -> None:
        self._outputs, self._clients, self._tls = outputs, clients, tls or DbTls()
        self._lock = threading.Lock()
        self._credentials: DbCredentials | None = None

    def __call__(self, region: str) -> dict[str, object]:
        side = self._outputs.side_of(region)
        hosts: list[tuple[str, str]] = []
        for key in (RegionalKey.WRITER_ENDPOINT, RegionalKey.READER_ENDPOINT):
            endpoint = self._outputs.endpoint(side, key, OutputKey.DB_PORT)
            if endpoint not in hosts:
                hosts.append(endpoint)
        creds = self.credentials()
        info: dict[str, object] = {
            "host": ",".join(h for h, _ in hosts),
            "port": ",".join(p for _, p in hosts),
            "dbname": self._outputs.get(OutputKey.DB_NAME),
            "user": creds.username,
            "password": creds.password,
            "sslmode": self._tls.sslmode,
        }
        if self._tls.rootcert is not None:
            info["sslrootcert"] = str(self._tls.rootcert)
        return info

    def credentials(self) -> DbCredentials:
        """The DB secret's username and password, read on first use and kept (memory only)."""
        with self._lock:
            if self._credentials is None:
                self._credentials = home_or_replica(
                    lambda side: db_credentials(self._outputs, self._clients, side))
            return self._credentials
