"""Acknowledged-event loss: the ledger (ground truth) against the surviving store (DESIGN §5).

Pure: it is given a ledger extract and the store's ``event_key -> digest`` map and never touches a
target. Definitions:
- acknowledged: ledger ``t_ack`` is not NULL;
- lost: acknowledged and absent from the store after the backlog drained;
- digest mismatch: acknowledged, present, but stored with a different digest (counted separately;
  it is loss of integrity, so the zero-loss objective requires both counts to be 0);
- in doubt: present in the store but never acknowledged (the ack was lost, the write was not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from contracts.events import LedgerRow, event_id
from contracts.journal import LossDetail

#: How many lost ids the journal names (the full list can be huge; the first ones prove the point).
MAX_NAMED_IDS = 50


@dataclass(frozen=True)
class LossResult:
    detail: LossDetail
    oldest_lost_ack: float | None
    newest_lost_ack: float | None
    ack_latency_p99_s: float | None
    lost_acked_after: int = 0


def measure_loss(
    ledger: Sequence[LedgerRow], store: Mapping[int, int], method: str = "ledger-vs-store key comparison",
    name: Callable[[int], str] = event_id, latency_until: float | None = None,
) -> LossResult:
    """Compare every ledger row with the store; see the module docstring for the definitions.

    ``latency_until`` (t0) limits the acknowledgement-latency percentile to the steady state before
    the fault: retries after an outage take seconds and say nothing about the ack/commit skew at t0.
    """
    acked = [r for r in ledger if r.t_ack is not None]
    missing = [r for r in acked if r.event_key not in store]
    mismatched = [r for r in acked if r.event_key in store and store[r.event_key] != r.digest]
    in_doubt = sum(1 for r in ledger if r.t_ack is None and r.event_key in store)
    bad = sorted(missing + mismatched, key=lambda r: (r.t_ack or 0.0, r.event_key))
    acks = [r.t_ack for r in bad if r.t_ack is not None]
    detail = LossDetail(
        acknowledged=len(acked),
        lost=len(missing),
        digest_mismatches=len(mismatched),
        in_doubt=in_doubt,
        lost_event_ids=[name(r.event_key) for r in bad[:MAX_NAMED_IDS]],
        method=method,
    )
    return LossResult(
        detail=detail,
        oldest_lost_ack=min(acks) if acks else None,
        newest_lost_ack=max(acks) if acks else None,
        ack_latency_p99_s=ack_latency_p99(
            [r for r in acked if latency_until is None or (r.t_ack or 0.0) <= latency_until]),
        lost_acked_after=0 if latency_until is None else sum(1 for t in acks if t > latency_until),
    )


def ack_latency_p99(acked: Sequence[LedgerRow]) -> float | None:
    """99th percentile of send → acknowledgement time: how stale a t_ack can be against the commit."""
    latencies = sorted(r.t_ack - r.t_sent for r in acked if r.t_ack is not None)
    if not latencies:
        return None
    return latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
