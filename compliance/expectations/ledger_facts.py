"""What the producer's ledger says a store must hold: the suite parameters of the ledger checks.

Derived from ``LedgerRow``s (what every target returns), so the suites run the same against the
sandbox and a deployed stack. Device ids are built here from the integer keys (``dev-`` + six
digits), so the values the suites inline into SQL are never free text; they are synthetic, never PHI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events import LedgerRow, device_id, split_event_key


@dataclass(frozen=True)
class LedgerFacts:
    """``bounds``: per device, first sequence sent and last acknowledged; ``unacked``: per device,
    sequences below that bound sent but never acknowledged (their absence from a store is no gap)."""

    acked: int
    sent: int
    devices: tuple[int, ...]  # device indexes of every ledger row, sorted
    bounds: dict[str, tuple[int, int]]
    unacked: dict[str, list[int]]


def ledger_facts(rows: Sequence[LedgerRow]) -> LedgerFacts:
    indexes: set[int] = set()
    first: dict[str, int] = {}
    last_acked: dict[str, int] = {}
    never_acked: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        index, seq = split_event_key(row.event_key)
        indexes.add(index)
        device = device_id(index)
        first[device] = min(seq, first.get(device, seq))
        if row.t_ack is None:
            never_acked[device].append(seq)
        else:
            last_acked[device] = max(seq, last_acked.get(device, seq))
    bounds = {d: (first[d], last) for d, last in last_acked.items()}
    unacked = {d: sorted(s for s in seqs if s < bounds[d][1])
               for d, seqs in never_acked.items() if d in bounds}
    return LedgerFacts(
        acked=sum(1 for r in rows if r.t_ack is not None),
        sent=len(rows),
        devices=tuple(sorted(indexes)),
        bounds=bounds,
        unacked={d: seqs for d, seqs in unacked.items() if seqs},
    )
