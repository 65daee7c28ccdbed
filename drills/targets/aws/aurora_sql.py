"""What the aws target reads from Aurora over SQL: is a region's writer answering, and how far behind
is the DR side (``aurora_global_db_status()``).

The writer probe opens a NEW connection each time (connect timeout ``PROBE_TIMEOUT_S``) and asks
``current_setting('transaction_read_only')``: a writer answers ``off``; a reader or an Aurora
secondary cluster answers ``on`` (read-only like a PostgreSQL hot standby,
https://www.postgresql.org/docs/current/hot-standby.html). A new connection per probe is what a
client of the region would see: under the simulated regional impairment (FIS network disruption of
the primary's data subnets) it fails, whereas the control plane (``describe_global_clusters``) still
reports the primary as the available writer, so a describe call would never detect the fault.

The lag is read on the DR cluster's reader endpoint (reachable while the primary is impaired),
through one reused connection (``AuroraLagProbe``) so it can be sampled at the drill's rate.
DSNs carry a password: they are handed to psycopg and never printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from contracts.outputs import RegionalKey, Side
from drills.targets.aws.aurora_lag import AuroraLagProbe
from drills.targets.aws.credentials import db_credentials, writer_dsn
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs

#: How long one writer probe may take (connect and query) before it counts as failed.
PROBE_TIMEOUT_S = 2
WRITER_QUERY = "SELECT current_setting('transaction_read_only') = 'off'"


@dataclass(repr=False)
class AuroraSql:
    """``writers``: libpq DSN of each side's cluster (writer) endpoint; ``dr_reader``: the DR cluster's
    reader endpoint, where the replication lag is read."""

    writers: dict[Side, str]
    dr_reader: str
    dr_region: str
    _lag: AuroraLagProbe | None = field(default=None, init=False)

    @classmethod
    def from_outputs(cls, outputs: AwsOutputs, clients: ClientFactory) -> AuroraSql:
        """Endpoints from the outputs; credentials from the DB secret's replica in each region
        (``CredentialsError`` names the secret, never a value)."""
        creds = {side: db_credentials(outputs, clients, side) for side in Side}
        dr_reader = writer_dsn(outputs, Side.DR, creds[Side.DR],
                               host=outputs.of(Side.DR, RegionalKey.READER_ENDPOINT))
        return cls(writers={side: writer_dsn(outputs, side, creds[side]) for side in Side},
                   dr_reader=dr_reader, dr_region=outputs.region(Side.DR))

    def writer_alive(self, side: Side) -> bool:
        """One fresh connection to ``side``'s cluster endpoint answers that it accepts writes."""
        try:
            with psycopg.connect(self.writers[side], autocommit=True, connect_timeout=PROBE_TIMEOUT_S,
                                 options=f"-c statement_timeout={PROBE_TIMEOUT_S * 1000}") as conn:
                row = conn.execute(WRITER_QUERY).fetchone()
        except psycopg.Error:
            return False
        return bool(row and row[0])

    @property
    def lag(self) -> AuroraLagProbe:
        if self._lag is None:
            self._lag = AuroraLagProbe(self.dr_reader, self.dr_region)
        return self._lag

    def rpo_lag_s(self) -> float | None:
        """``rpo_lag_in_msec`` of the DR region in seconds; None when unreadable or not reported."""
        return self.lag()

    def durability_lag_s(self) -> float | None:
        """``durability_lag_in_msec`` of the DR region in seconds; None when unreadable."""
        return self.lag.durability_lag_s()

    def close(self) -> None:
        if self._lag is not None:
            self._lag.close()
