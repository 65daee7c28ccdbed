"""Scenario name → class: the one place that lists the drills the CLI and Dagster offer."""

from __future__ import annotations

from drills.scenarios.cache_failover import CacheFailover
from drills.scenarios.link_partition import LinkPartition
from drills.scenarios.planned_switchover import PlannedSwitchover
from drills.scenarios.processor_crash import ProcessorCrash
from drills.scenarios.region_outage import RegionOutage
from drills.scenarios.scenario import Scenario

SCENARIOS: dict[str, type[Scenario]] = {
    s.name: s for s in (RegionOutage, PlannedSwitchover, LinkPartition, ProcessorCrash, CacheFailover)
}


def scenario(name: str) -> Scenario:
    """A fresh scenario instance, or ValueError naming the known ones."""
    try:
        return SCENARIOS[name]()
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}") from None
