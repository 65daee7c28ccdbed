"""The one error the integrity checks raise for bad input or an unreachable side.

Its message is a single line that names the side (``primary``, ``replica``, ``ledger``...) and the
fix, and carries keys at most, never row values (no vitals, no patient refs) and never a password.
"""

from __future__ import annotations


class IntegrityError(Exception):
    """A comparison could not be made: bad table, mismatched schemas, unreachable server."""

    def __init__(self, side: str, problem: str) -> None:
        self.side = side
        super().__init__(f"{side}: {problem}")
