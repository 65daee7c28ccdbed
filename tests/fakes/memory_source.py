"""An in-memory diff source (``drills.integrity.source.Source``) over a ``key -> digest`` map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from drills.integrity.key_range import EMPTY, Checksum, KeyRange


class MemorySource:
    def __init__(self, rows: Mapping[int, int], name: str) -> None:
        self.name = name
        self._rows = dict(rows)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def schema(self) -> Mapping[str, str] | None:
        return None

    def _in(self, ranges: Sequence[KeyRange]) -> dict[int, int]:
        return {k: d for k, d in self._rows.items() if any(r.lo <= k < r.hi for r in ranges)}

    def bounds(self, within: KeyRange | None = None) -> KeyRange | None:
        keys = list(self._in([within]) if within else self._rows)
        return KeyRange(min(keys), max(keys) + 1) if keys else None

    def row_estimate(self) -> int | None:
        return len(self._rows)

    def total(self, within: Sequence[KeyRange]) -> Checksum:
        rows = self._in(within)
        return Checksum(len(rows), sum(rows.values())) if rows else EMPTY

    def block_checksums(self, shift: int, within: Sequence[KeyRange]) -> dict[int, Checksum]:
        out: dict[int, Checksum] = {}
        for key, digest in self._in(within).items():
            out[key >> shift] = out.get(key >> shift, EMPTY).plus(Checksum(1, digest))
        return out

    def range_digests(self, ranges: Sequence[KeyRange]) -> dict[int, int]:
        return self._in(ranges)

    def partition_spans(self, bits: int, limit: int | None = None) -> list[KeyRange] | None:
        return None
