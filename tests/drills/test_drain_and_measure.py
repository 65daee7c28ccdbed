"""Drain detection and same-state loss measurement, driven by a scripted survivor region.

The survivor is a small in-memory stand-in for the probes these steps read (store count, stream
backlog, processor running, key map, checksum diff); the real engines are exercised by the sandbox
drills. Here the point is the decision: a store that pauses while the replay has not caught up with
its stream is NOT drained, and loss is never reported from two different states of the store.
"""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from contracts.events import LedgerRow
from contracts.journal import IntegrityResult, Phase
from drills.runner import MEASURE_ATTEMPTS, _measure_survivor
from drills.scenarios.config import parse_config
from drills.scenarios.context import DrillAborted, DrillContext
from drills.scenarios.steps import finish_load_and_drain
from drills.targets.base import SurvivorState, Target

REGION = "us-west-2"


class ScriptedSurvivor:
    """Before ``replay_at`` the store holds ``before`` rows, then ``after``; the stream backlog is the
    difference until the replay is done. The old drain rule (store unchanged + consumer lag 0) is
    satisfied all along, so only a backlog-aware rule waits for the replay."""

    def __init__(self, before: int, after: int, replay_at: float) -> None:
        self.before, self.after, self.replay_at = before, after, replay_at
        self.stopped = False

    def _replayed(self) -> bool:
        return time.time() >= self.replay_at

    def stop_load(self) -> None:
        self.stopped = True

    def store_count(self, region: str) -> int:
        return self.after if self._replayed() else self.before

    def stream_backlog(self, region: str) -> int:
        return 0 if self._replayed() else self.after - self.before

    def consumer_lag_s(self, region: str) -> float:
        return 0.0

    def processor_alive(self, region: str) -> bool:
        return True


def _ctx(target: object, **overrides: object) -> DrillContext:
    config = parse_config({"load_s": 6.0, "fault_after_s": 1.0, "drain_settle_s": 0.3,
                           "probe_interval_s": 0.02, **overrides})
    return DrillContext(target=cast(Target, target), config=config, progress=lambda _: None,
                        stop=threading.Event())


def test_a_paused_store_with_an_unconsumed_stream_is_not_drained() -> None:
    target = ScriptedSurvivor(before=1000, after=1500, replay_at=time.time() + 1.5)
    ctx = _ctx(target, recovery_timeout_s=20.0)
    t_drained = finish_load_and_drain(ctx, REGION, t_load=time.time() - 6.0)
    assert target.stopped
    assert t_drained >= target.replay_at
    drained = [e for e in ctx.timeline if e.phase is Phase.BACKLOG_DRAINED]
    assert len(drained) == 1 and drained[0].detail.startswith("1500 rows")


def test_a_backlog_that_never_drains_aborts_with_not_drained_instead_of_a_loss_figure() -> None:
    target = ScriptedSurvivor(before=1000, after=1500, replay_at=time.time() + 3600)
    ctx = _ctx(target, recovery_timeout_s=1.0)
    with pytest.raises(DrillAborted, match=r"backlog not drained within 1 s .*500.*loss not measured"):
        finish_load_and_drain(ctx, REGION, t_load=time.time() - 6.0)
    assert not any(e.phase is Phase.BACKLOG_DRAINED for e in ctx.timeline)


class GrowingStore:
    """A survivor whose store gains the missing rows between measurements (a late drain)."""

    def __init__(self, ledger: list[LedgerRow], stored_per_call: list[int], diff_missing: list[int]) -> None:
        self.ledger, self.stored_per_call, self.diff_missing = ledger, stored_per_call, diff_missing
        self.calls = 0

    def ledger_rows(self) -> list[LedgerRow]:
        return self.ledger

    def survivor_state(self, region: str) -> SurvivorState:
        n, missing = self.stored_per_call[self.calls], self.diff_missing[self.calls]
        self.calls += 1
        digests = {r.event_key: r.digest for r in self.ledger[:n]}
        checksum = IntegrityResult(name="ledger_vs_surviving_store", passed=missing == 0,
                                   summary=f"{missing} missing", details={"missing": missing, "changed": 0})
        return SurvivorState(digests=digests, checksum=checksum)


def _ledger(n: int) -> list[LedgerRow]:
    return [LedgerRow(event_key=i, digest=i * 7, t_sent=100.0 + i, t_ack=100.5 + i) for i in range(n)]


def _measure(target: Any) -> tuple[Any, IntegrityResult | None, DrillContext]:
    ctx = _ctx(target)
    ctx.mark(Phase.FAULT_INJECTED, at=200.0)
    loss, checksum = _measure_survivor(cast(Target, target), REGION, ctx)
    return loss, checksum, ctx


def test_loss_and_its_checksum_proof_are_taken_again_until_they_describe_the_same_state() -> None:
    # first pair: key read saw 40 of 100 rows, the diff (later) saw 80: they must not be reported
    target = GrowingStore(_ledger(100), stored_per_call=[40, 90], diff_missing=[20, 10])
    loss, checksum, ctx = _measure(target)
    assert target.calls == 2
    assert loss.detail.lost == 10 and checksum is not None and checksum.details["missing"] == 10
    assert any("disagree; measuring again" in n for n in ctx.notes)


def test_a_disagreement_that_remains_is_returned_for_the_journal_to_state() -> None:
    target = GrowingStore(_ledger(100), stored_per_call=[40] * MEASURE_ATTEMPTS,
                          diff_missing=[20] * MEASURE_ATTEMPTS)
    loss, checksum, _ = _measure(target)
    assert target.calls == MEASURE_ATTEMPTS
    assert checksum is not None and loss.detail.lost == 60 and checksum.details["missing"] == 20
