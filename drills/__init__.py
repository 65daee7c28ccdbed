"""DR drills: targets, fault scenarios, measurement, and the Dagster code location over them."""
