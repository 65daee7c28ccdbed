"""The one exception the sandbox raises for problems a user can fix.

Its message is a single line naming the input at fault and the fix; the CLI prints it without a
traceback. It never carries credentials or event data.
"""

from __future__ import annotations


class SandboxError(Exception):
    """A user-fixable sandbox problem (port in use, missing binary, stale state, bad setting)."""
