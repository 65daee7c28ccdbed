"""Errors of the report: evidence that cannot be read, and a report that cannot be built or verified."""

from __future__ import annotations


class EvidenceUnreadableError(ValueError):
    """One evidence file is not in the shape its tool writes; the message says what is wrong, not its data."""


class ReportError(RuntimeError):
    """The report cannot be built or verified; the message is one line naming the input and the fix."""
