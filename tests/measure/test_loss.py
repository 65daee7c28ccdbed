"""Loss accounting: the ledger against a store map."""

from contracts.events import LedgerRow, event_id, event_key
from drills.measure.loss import measure_loss


def _row(dev: int, seq: int, t_ack: float | None, digest: int = 11) -> LedgerRow:
    t_sent = (t_ack or 100.0) - 0.01
    return LedgerRow(event_key=event_key(dev, seq), digest=digest, t_sent=t_sent, t_ack=t_ack)


def test_counts_lost_mismatched_and_in_doubt_separately() -> None:
    ledger = [
        _row(1, 0, 100.0),            # intact
        _row(1, 1, 101.0),            # lost (missing)
        _row(2, 0, 102.0),            # digest mismatch
        _row(2, 1, None),             # in store, never acked -> in doubt
        _row(3, 0, None),             # never acked, not stored -> nothing
    ]
    store = {event_key(1, 0): 11, event_key(2, 0): 99, event_key(2, 1): 11}
    r = measure_loss(ledger, store)
    d = r.detail
    assert (d.acknowledged, d.lost, d.digest_mismatches, d.in_doubt) == (3, 1, 1, 1)
    assert r.detail.lost_event_ids == ["dev-000001:1", "dev-000002:0"]
    assert (r.oldest_lost_ack, r.newest_lost_ack) == (101.0, 102.0)


def test_nothing_lost_gives_no_oldest_ack() -> None:
    ledger = [_row(1, s, 100.0 + s) for s in range(10)]
    store = {r.event_key: r.digest for r in ledger}
    r = measure_loss(ledger, store)
    assert r.detail.lost == 0 and r.oldest_lost_ack is None
    assert r.ack_latency_p99_s is not None and abs(r.ack_latency_p99_s - 0.01) < 1e-9


def test_named_ids_are_capped_and_synthetic() -> None:
    ledger = [_row(7, s, 100.0 + s) for s in range(200)]
    r = measure_loss(ledger, {})
    assert r.detail.lost == 200 and len(r.detail.lost_event_ids) == 50
    assert event_id(event_key(123456, 42)) == "dev-123456:42"
