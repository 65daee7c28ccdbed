"""A set exposure and the loss it must cause, from the ledger alone (pure).

A drill can create a known exposure before the kill: the load is paused until the primary has
committed and replicated everything, then the primary processor is frozen (or the link cut), then
the load resumes. Every event acknowledged after that boundary and before the producer was
repointed went only to the dying region and was never committed (or never replicated) there, so:
single-write ingest must lose exactly those events, dual-write ingest none (the DR stream holds them
and the DR processor replays them). The expectation comes from the ledger and the set exposure,
never from where in time the kill landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events import LedgerRow

PROCESSOR_PAUSE = "processor_pause"
#: The integrity result comparing the loss with the set exposure's expectation.
SET_EXPOSURE = "loss_equals_set_exposure"
LINK_CUT = "link_cut"


@dataclass(frozen=True)
class SetExposure:
    """``boundary``: events sent after it were never committed (pause) or replicated (cut) by the
    primary; ``started``: the first acknowledgement after the boundary; ``set_s``: the exposure asked."""

    kind: str
    set_s: float
    boundary: float
    started: float


@dataclass(frozen=True)
class ExposedLoss:
    exposed: int
    expected_lost: int
    realized_s: float

    def summary(self, lost: int | None) -> str:
        return (f"{self.exposed} events acknowledged by the primary during the set exposure "
                f"({self.realized_s:.3f} s before t0): expected lost {self.expected_lost}, measured "
                + ("not measured" if lost is None else str(lost)))


def exposed_loss(ledger: Sequence[LedgerRow], exposure: SetExposure, t0: float, repointed: float,
                 dual_ingest: bool) -> ExposedLoss:
    """Events sent after the boundary and acknowledged before the repoint (only the primary could
    acknowledge them); all of them are lost with single-write ingest, none with dual-write."""
    exposed = sum(1 for r in ledger if r.t_sent > exposure.boundary and r.t_ack is not None
                  and r.t_ack < repointed)
    return ExposedLoss(exposed=exposed, expected_lost=0 if dual_ingest else exposed,
                       realized_s=round(t0 - exposure.started, 3))


@dataclass(frozen=True)
class LateAcks:
    """Single-write acknowledgements received after t0 and before the repoint: only the dying region
    could give them, so each is a response it sent before it stopped (the producer stamps t_ack when
    it reads the response)."""

    count: int
    newest_after_t0_s: float | None

    @property
    def note(self) -> str:
        if not self.count:
            return "no acknowledgement from the dying region after t0"
        return (f"{self.count} acknowledgements from the dying region received after t0, the newest "
                f"{self.newest_after_t0_s:.3f} s after it (responses sent before it stopped)")


def late_acks(ledger: Sequence[LedgerRow], t0: float, repointed: float) -> LateAcks:
    late = [r.t_ack - t0 for r in ledger if r.t_ack is not None and t0 < r.t_ack < repointed]
    return LateAcks(count=len(late), newest_after_t0_s=round(max(late), 3) if late else None)
