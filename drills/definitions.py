"""The ``drills`` Dagster code location (``workspace.yaml``): everything lives in ``drills.defs``."""

from drills.defs import defs

__all__ = ["defs"]
