"""Region outages after a SET exposure: the loss and both RPOs follow from the exposure, not from
where in time the kill lands.

Before the kill the load pauses until the primary has committed and replicated everything, then the
primary processor is frozen (or the link cut) and the load resumes for ``exposure_s``. The ledger
then says exactly which acknowledged events only the dying region held: single-write ingest must
lose all of them, dual-write none, in either replication mode; RPO (data) and the independent
RPO (metric) must both match the exposure within the tolerance the journal states.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.expectations.drill_validator import suites_validator
from contracts.journal import DrillJournal, Phase, Status
from drills.drill_runner import SET_EXPOSURE, run_drill
from drills.measure.loss import LossResult
from drills.measure.measurements import measurements
from drills.measure.objectives import RPO_AGREE, Objectives, evaluate
from drills.measure.rpo import CONSUMER_LAG, DB_LAG
from drills.scenarios.config import parse_config
from drills.targets.local.sandbox import SandboxSettings
from drills.targets.local_target import LocalTarget

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
PORT_BASE = 18060
EXPOSURE_S = 1.5
SHORT = {"rate_per_min": 30000, "load_s": 9.0, "fault_after_s": 2.0, "exposure_s": EXPOSURE_S}


def _drill(target: LocalTarget, root: Path, name: str, validate: bool = False, **params: object
           ) -> DrillJournal:
    config = parse_config({**SHORT, **params})
    reports = root / f"reports-{name}"
    return run_drill(target, "region_outage", config, reports,
                     validator=suites_validator(reports) if validate else None).journal


def _assert_the_ledger_suite_names_the_lost_events(journal: DrillJournal) -> None:
    """The checksum diff and the GE ledger suite on the survivor agree on what was lost, and the
    objective reports it (the suite lists at most 200 gap rows, hence 50 devices in that drill)."""
    m = journal.measurements
    integrity = {i.name: i for i in journal.integrity}
    checksum = integrity["ledger_vs_surviving_store"]
    assert not checksum.passed and checksum.details["missing"] == m.loss.lost
    objective = {o.name: o for o in journal.objectives}["zero_acknowledged_loss"]
    assert not objective.passed and objective.observed == m.loss.lost_or_changed
    vs_ledger = integrity["gx:vitals_store_vs_ledger@ca-west-1"]
    assert not vs_ledger.passed and "gaps dev-" in vs_ledger.summary
    raw = json.loads(Path(vs_ledger.details["results_file"]).read_text())
    gaps = next(r["result"]["details"]["unexpected_rows"] for r in raw["results"]
                if r["expectation_config"]["type"] == "unexpected_rows_expectation")
    in_gaps = {f"{g['device_id']}:{seq}" for g in gaps for seq in range(g["gap_from"], g["gap_to"] + 1)}
    assert len(in_gaps) == checksum.details["missing"] and set(checksum.details["missing_ids"]) <= in_gaps
    assert any("Hz" in n and "BELOW" not in n for n in journal.notes)     # sampled >= 10 Hz


def _exposure(journal: DrillJournal) -> dict[str, object]:
    return {i.name: i for i in journal.integrity}[SET_EXPOSURE].details


def _components(journal: DrillJournal) -> str:
    return next(n for n in journal.notes if n.startswith("RPO (metric)"))


def _assert_a_blinded_sampler_fails_agreement(journal: DrillJournal) -> None:
    """The same drill recomputed from its saved journal (measurement is pure) with the samples of the
    last second before t0 removed, as if the sampler had stopped: not measured, the objective fails."""
    t0 = next(e.t for e in journal.timeline if e.phase is Phase.FAULT_INJECTED)
    m = journal.measurements
    assert m.rpo_data.value is not None
    loss = LossResult(detail=m.loss, oldest_lost_ack=t0 - m.rpo_data.value, newest_lost_ack=None,
                      ack_latency_p99_s=None)
    blinded = [s for s in journal.lag_samples if not t0 - 1.0 < s.t <= t0]
    interval = float(str(journal.parameters["sample_interval_s"]))
    again = measurements(t0, loss, journal.timeline, blinded, (DB_LAG, CONSUMER_LAG), interval)
    assert again.rpo_metric.value is None and "not measured" in again.rpo_metric.note
    agreement = {o.name: o for o in evaluate(again, Objectives())}[RPO_AGREE]
    assert not agreement.passed and "not measured" in agreement.note


@pytest.mark.parametrize(("mode", "ingest"), [("async", "single"), ("sync", "single"),
                                              ("async", "dual"), ("sync", "dual")])
def test_a_paused_primary_processor_loses_exactly_what_single_ingest_exposed(
    sandbox: tuple[LocalTarget, SandboxSettings, Path], mode: str, ingest: str,
) -> None:
    target, _, root = sandbox
    ge = (mode, ingest) == ("async", "single")   # this one drill also runs the GE suites on the survivor
    journal = _drill(target, root, f"{mode}-{ingest}", validate=ge, replication_mode=mode, ingest=ingest,
                     exposure="processor_pause", **({"devices": 50} if ge else {}))
    m, exposure = journal.measurements, _exposure(journal)
    assert exposure["exposed"] and int(str(exposure["exposed"])) >= 200       # 1.5 s at 500 events/s
    realized = float(str(exposure["realized_s"]))
    assert abs(realized - EXPOSURE_S) < 0.2
    if ingest == "single":     # acknowledged into the primary's stream only, never committed: all lost
        assert m.loss.lost == exposure["exposed"] == exposure["expected_lost"]
        assert m.rpo_data.value is not None and m.rpo_metric.value is not None, m.rpo_metric.note
        tolerance = m.rpo_agreement_tolerance_s
        assert abs(m.rpo_data.value - realized) <= tolerance
        assert abs(m.rpo_metric.value - realized) <= tolerance, _components(journal)
        assert journal.status is Status.FAILED                                  # loss fails the drill
        assert len(m.loss.lost_event_ids) > 0
        _assert_a_blinded_sampler_fails_agreement(journal)
        if ge:
            _assert_the_ledger_suite_names_the_lost_events(journal)
    else:                      # the DR stream holds them and the DR processor replays them
        assert m.loss.lost == 0 and exposure["expected_lost"] == 0
        assert m.rpo_data.value == 0.0 and m.rpo_metric.value == 0.0
        assert journal.status is Status.PASSED, [o for o in journal.objectives if not o.passed]
    assert m.rpo_agree is True, m.rpo_agreement_note
    assert {i.name: i for i in journal.integrity}[SET_EXPOSURE].passed
    # t0 honest: the region froze as the fault action started, so with single ingest the only acks
    # read after t0 are responses already sent, stamped within a scheduling delay of t0
    if ingest == "single":
        late = next(n for n in journal.notes if "after t0" in n and "dying region" in n)
        assert late.startswith("no acknowledgement") or "responses sent before it stopped" in late
        assert exposure["newest_late_ack_s"] is None or float(str(exposure["newest_late_ack_s"])) < 0.25
    assert target.health().ok


def test_a_cut_link_is_seen_by_the_replication_metric_and_lost_by_async_single_ingest(
    sandbox: tuple[LocalTarget, SandboxSettings, Path],
) -> None:
    target, settings, root = sandbox
    # the drill asks for another link latency than the sandbox has: the rollback must give it back
    journal = _drill(target, root, "link-cut", replication_mode="async", exposure="link_cut",
                     link_latency_ms=10.0)
    assert journal.parameters["applied_topology"] == {"replication_mode": "async", "link_latency_ms": 10.0}
    restored = target.topology()
    assert restored is not None and restored.link_latency_ms == settings.link_latency_ms == 20.0
    m, exposure = journal.measurements, _exposure(journal)
    realized = float(str(exposure["realized_s"]))
    assert m.loss.lost == exposure["exposed"] == exposure["expected_lost"] and m.loss.lost
    assert m.rpo_metric.value is not None, m.rpo_metric.note
    # The WAL lag dates the first WAL the standby misses: the link is cut before the load resumes, and
    # WAL the processor writes in between (shard-lease renewals) starts it earlier than the first
    # exposed event, never later. So the metric covers the exposure; it may exceed it by that gap.
    assert m.rpo_metric.value >= realized - m.rpo_agreement_tolerance_s, _components(journal)
    # the exposure sat in the primary's store, unreplicated: the WAL lag carries it, not the stream
    samples = [s for s in journal.lag_samples if s.lag_s is not None]
    t0 = next(e.t for e in journal.timeline if e.phase is Phase.FAULT_INJECTED)
    db = max(s.lag_s or 0.0 for s in samples if s.source == DB_LAG and s.t <= t0)
    consumer = [s.lag_s or 0.0 for s in samples if s.source == CONSUMER_LAG and t0 - 0.5 <= s.t <= t0]
    # compared with the exposure the ledger shows (realized), not the set one: the load resumes after
    # the cut by a scheduling delay that a loaded machine stretches
    assert db >= realized - m.rpo_agreement_tolerance_s and max(consumer) < 0.5, _components(journal)
