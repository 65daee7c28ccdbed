"""Runner rollbacks (newest first, shared keys once, failures recorded) and the 10 Hz lag sampler."""

from __future__ import annotations

import time

from drills.drill_runner import run_rollbacks
from drills.scenarios.sampler import LagSampler
from drills.targets.values import Rollback


def test_rollbacks_run_newest_first_once_per_key_and_survive_failures() -> None:
    ran: list[str] = []

    def boom() -> None:
        ran.append("boom")
        raise RuntimeError("link daemon gone")

    rollbacks = [
        Rollback("configure", "sync off", lambda: ran.append("configure")),
        Rollback("kill_region", "reset", lambda: ran.append("reset-old"), key="reset"),
        Rollback("cut_link", "restore link", boom),
        Rollback("promote", "reset", lambda: ran.append("reset-new"), key="reset"),
    ]
    records = run_rollbacks(rollbacks, lambda _: None)
    assert ran == ["reset-new", "boom", "configure"]
    assert [r.action for r in records] == ["configure", "kill_region", "cut_link", "promote"]
    assert records[1].rollback == "covered by reset" and records[1].ok
    assert not records[2].ok and "RuntimeError: link daemon gone" in records[2].error


def test_sampler_keeps_10hz_and_records_unreadable_probes_as_none() -> None:
    calls = {"n": 0}

    def flaky() -> float | None:
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise ConnectionError("engine down")
        return 0.5

    with LagSampler({"lag": flaky, "steady": lambda: 0.1}, interval_s=0.05) as sampler:
        time.sleep(1.0)
    samples = sampler.samples()
    lag = [s for s in samples if s.source == "lag"]
    assert len(lag) >= 15                                   # >= 15 Hz asked 20 Hz, on a busy machine
    assert any(s.lag_s is None for s in lag) and any(s.lag_s == 0.5 for s in lag)
    assert sampler.latest("steady") is not None
