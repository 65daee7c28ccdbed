"""Per-partition sequence watermarks: how far each device's events have been verified.

A JSON file under the caller's state dir, one per compared pair of sources, holding for every
partition (``event_key >> 32``, i.e. a device) the highest key verified, and when the last full
verification ran. Written atomically, so an interrupted run leaves the previous marks intact.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from drills.integrity.errors import IntegrityError

_FORMAT = 1


@dataclass(frozen=True)
class Marks:
    """The content of a watermark file."""

    verified: dict[int, int]
    last_full_at: float | None = None
    updated_at: float | None = None


class Watermarks:
    """File-backed ``partition -> last verified key`` for one (reference, other) pair."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_pair(cls, state_dir: Path, reference: str, other: str) -> Watermarks:
        """``<state_dir>/watermarks-<reference>--<other>.json`` (names reduced to safe characters)."""
        safe = "--".join(re.sub(r"[^A-Za-z0-9_.-]", "_", n) for n in (reference, other))
        return cls(Path(state_dir) / f"watermarks-{safe}.json")

    def load(self) -> Marks:
        if not self.path.exists():
            return Marks(verified={})
        try:
            data = json.loads(self.path.read_text())
            if data.get("format") != _FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {_FORMAT}")
            verified = {int(p): int(k) for p, k in data["verified"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise IntegrityError(
                "watermarks", f"{self.path} is not a watermark file ({err}); delete it to start over "
                "with a full verification"
            ) from None
        return Marks(verified, data.get("last_full_at"), data.get("updated_at"))

    def save(self, verified: dict[int, int], *, full: bool) -> Marks:
        """Replace the marks; a full verification also stamps ``last_full_at``."""
        previous = self.load()
        now = time.time()
        marks = Marks(dict(verified), now if full else previous.last_full_at, now)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({
            "format": _FORMAT,
            "verified": {str(p): k for p, k in sorted(marks.verified.items())},
            "last_full_at": marks.last_full_at,
            "updated_at": marks.updated_at,
        }))
        tmp.replace(self.path)
        return marks

    def full_due(self, max_age_s: float) -> bool:
        """True when no full verification ran in the last ``max_age_s`` seconds (the periodic one)."""
        last = self.load().last_full_at
        return last is None or time.time() - last > max_age_s
