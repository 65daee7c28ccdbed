"""Drain detection and same-state loss measurement, driven by a scripted survivor region.

The survivor is the in-memory fake target with a scripted store and stream; the real engines are
exercised by the sandbox drills. Here the point is the decision: a store that pauses while the
replay has not caught up with its stream is NOT drained, and loss is never reported from two
different states of the store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracts.journal import IntegrityResult, Phase
from drills.drill_runner import MEASURE_ATTEMPTS, _measure_survivor
from drills.integrity.key_range import Checksum, KeyRange
from drills.measure.loss import LossResult
from drills.scenarios.config import parse_config
from drills.scenarios.context import DrillAborted, DrillContext
from drills.scenarios.steps import finish_load_and_drain
from drills.targets.values import LoadSpec
from tests.fakes.fake_target import PRIMARY as REGION
from tests.fakes.fake_target import FakeTarget
from tests.fakes.manual_clock import ManualClock
from tests.fakes.memory_source import MemorySource


class ScriptedSurvivor(FakeTarget):
    """Before ``replay_at`` the store holds ``before`` rows, then ``after``; the stream backlog is the
    difference until the replay is done. The old drain rule (store unchanged + consumer lag 0) is
    satisfied all along, so only a backlog-aware rule waits for the replay."""

    def __init__(self, clock: ManualClock, work_dir: Path, before: int, after: int, replay_in: float) -> None:
        super().__init__(clock, work_dir)
        self.before, self.after, self.replay_at = before, after, clock.time() + replay_in
        self.stopped = False

    def _replayed(self) -> bool:
        return self.clock.time() >= self.replay_at

    def stop_load(self) -> None:
        self.stopped = True

    def store_count(self, region: str) -> int:
        return self.after if self._replayed() else self.before

    def stream_backlog(self, region: str) -> int:
        return 0 if self._replayed() else self.after - self.before


def _ctx(target: FakeTarget, **overrides: object) -> DrillContext:
    config = parse_config({"load_s": 6.0, "fault_after_s": 1.0, "drain_settle_s": 0.3,
                           "probe_interval_s": 0.02, **overrides})
    return DrillContext(target=target, config=config, progress=lambda _: None, stop=threading.Event(),
                        clock=target.clock)


def test_a_paused_store_with_an_unconsumed_stream_is_not_drained(tmp_path: Path) -> None:
    clock = ManualClock()
    target = ScriptedSurvivor(clock, tmp_path, before=1000, after=1500, replay_in=1.5)
    ctx = _ctx(target, recovery_timeout_s=20.0)
    t_drained = finish_load_and_drain(ctx, REGION, t_load=clock.time() - 6.0)
    assert target.stopped
    assert t_drained >= target.replay_at
    drained = [e for e in ctx.timeline if e.phase is Phase.BACKLOG_DRAINED]
    assert len(drained) == 1 and drained[0].detail.startswith("1500 rows")


def test_a_backlog_that_never_drains_aborts_with_not_drained_instead_of_a_loss_figure(tmp_path: Path) -> None:
    clock = ManualClock()
    target = ScriptedSurvivor(clock, tmp_path, before=1000, after=1500, replay_in=3600)
    ctx = _ctx(target, recovery_timeout_s=1.0)
    with pytest.raises(DrillAborted, match=r"backlog not drained within 1 s .*500.*loss not measured"):
        finish_load_and_drain(ctx, REGION, t_load=clock.time() - 6.0)
    assert not any(e.phase is Phase.BACKLOG_DRAINED for e in ctx.timeline)


class _TornSource(MemorySource):
    """A store read that is not one state: the key map sees ``seen`` rows, the checksum diff ``later``."""

    def __init__(self, rows: dict[int, int], seen: int, later: int, name: str) -> None:
        super().__init__(rows, name)
        keys = sorted(rows)
        self._seen = {k: rows[k] for k in keys[:seen]}
        self._later = {k: rows[k] for k in keys[:later]}
        self._reads = 0

    def range_digests(self, ranges: Sequence[KeyRange]) -> dict[int, int]:
        self._reads += 1
        rows = self._seen if self._reads == 1 else self._later
        return {k: d for k, d in rows.items() if any(r.lo <= k < r.hi for r in ranges)}

    def total(self, within: Sequence[KeyRange]) -> Checksum:
        return MemorySource(self._later, self.name).total(within)

    def block_checksums(self, shift: int, within: Sequence[KeyRange]) -> dict[int, Checksum]:
        return MemorySource(self._later, self.name).block_checksums(shift, within)


class GrowingStore(FakeTarget):
    """A survivor whose snapshot ``i`` shows the key map ``reads[i][0]`` rows and the diff ``reads[i][1]``."""

    def __init__(self, clock: ManualClock, work_dir: Path, reads: list[tuple[int, int]]) -> None:
        super().__init__(clock, work_dir, batch=100)
        self.reads = reads
        self.calls_to_snapshot = 0

    @contextmanager
    def snapshot(self, region: str) -> Iterator[MemorySource]:
        seen, later = self.reads[min(self.calls_to_snapshot, len(self.reads) - 1)]
        self.calls_to_snapshot += 1
        rows = {k: d for k, d in self._acked_rows()}
        yield _TornSource(rows, seen, later, name=f"store {region}")

    def _acked_rows(self) -> list[tuple[int, int]]:
        assert self.producer.path is not None
        with sqlite3.connect(self.producer.path) as db:
            return db.execute("SELECT event_key, digest FROM ledger WHERE t_ack IS NOT NULL").fetchall()


def _measure(target: GrowingStore) -> tuple[LossResult, IntegrityResult | None, DrillContext]:
    ctx = _ctx(target)
    target.start_load(LoadSpec(rate_per_min=6000, duration_s=1.0, ingest=ctx.config.ingest_mode))
    target.clock.advance(0.05)  # one tick: 100 acknowledged events
    target.stop_load()
    ctx.mark(Phase.FAULT_INJECTED)
    loss, checksum = _measure_survivor(ctx, REGION)
    return loss, checksum, ctx


def test_loss_and_its_checksum_proof_are_taken_again_until_they_describe_one_state(tmp_path: Path) -> None:
    # first snapshot: the key read saw 40 of 100 rows, the diff (later) saw 80: they must not be reported
    target = GrowingStore(ManualClock(), tmp_path, reads=[(40, 80), (90, 90)])
    loss, checksum, ctx = _measure(target)
    assert target.calls_to_snapshot == 2
    assert loss.detail.lost == 10 and checksum is not None and checksum.details["missing"] == 10
    assert any("disagree; measuring again" in n for n in ctx.notes)


def test_a_disagreement_that_remains_is_returned_for_the_verdict_to_state(tmp_path: Path) -> None:
    target = GrowingStore(ManualClock(), tmp_path, reads=[(40, 80)])
    loss, checksum, _ = _measure(target)
    assert target.calls_to_snapshot == MEASURE_ATTEMPTS
    assert checksum is not None and loss.detail.lost == 60 and checksum.details["missing"] == 20
