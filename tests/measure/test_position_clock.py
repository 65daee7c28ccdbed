"""Replication position gap → seconds, from the writer's own position history."""

from drills.measure.position_clock import PositionClock


def test_lag_is_how_long_ago_the_writer_passed_the_replica_position() -> None:
    clock = PositionClock()
    for i in range(11):                       # 100 bytes per 0.1 s from t=10.0
        clock.record(10.0 + i * 0.1, 1000 + i * 100)
    assert clock.lag_s(11.0, 2000) == 0.0     # the replica has everything
    assert clock.lag_s(11.0, 1500) == 0.5     # the writer passed 1500 at 10.5
    assert clock.lag_s(11.0, 1550) == 0.45    # interpolated inside one interval, not rounded to it


def test_an_idle_writer_does_not_turn_an_old_position_into_lag() -> None:
    clock = PositionClock()
    for i in range(20):                       # idle at 1000 for 2 s, then writes after a cut at 12.0
        clock.record(10.0 + i * 0.1, 1000)
    clock.record(12.0, 1000)
    clock.record(12.1, 1400)
    clock.record(13.0, 5000)
    assert clock.lag_s(13.0, 1000) == 1.0     # the first byte the replica lacks was written after 12.0
    clock.record(20.0, 10)                    # a rebuilt writer starts its positions again
    assert clock.lag_s(20.0, 10) == 0.0
