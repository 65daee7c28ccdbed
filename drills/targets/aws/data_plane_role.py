"""What the aws target needs from its data plane: the producer and its ledger, the regions' event
stores, and the two stream probes (Kinesis position against the processor's committed checkpoint).

The aws target implements the control-plane roles itself (Aurora, ECS, FIS, API Gateway through
boto3) and delegates these to a ``DataPlane`` it is given, so the same roles are tested with an
in-memory data plane and run with the one that signs requests to the deployed ingest APIs.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from drills.targets.roles import EventStore, LoadAndLedger


@runtime_checkable
class DataPlane(LoadAndLedger, EventStore, Protocol):
    """Load + ledger and event stores of the deployed system, with the stream probes of each region."""

    def consumer_lag_s(self, region: str) -> float | None:
        """Age of the newest processed event behind the newest acknowledged one in ``region``."""
        ...

    def stream_backlog(self, region: str) -> int | None:
        """Records in ``region``'s stream after its processor's committed checkpoint; None if unreadable."""
        ...

    def close(self) -> None:
        """Release what the data plane holds (its producer process, its connections); after the drill."""
        ...
