"""Synthetic patient-monitoring events and their digest: the shape every component agrees on.

Ids are synthetic (``dev-000042``, pseudonymous ``pt-…``), never real PHI. The digest is computed
from the stored field values with one function, so the ledger (producer side), the store (processor
side) and the integrity checks compare the same 64-bit integers (DESIGN §5; issue 5's hint: integer
sums per key range instead of hashing rows at query time).
"""

from __future__ import annotations

import hashlib
import struct

from pydantic import BaseModel, ConfigDict, Field

#: ``event_key = device_index << SEQ_BITS | seq``: one bigint key, ordered by device then sequence.
SEQ_BITS = 32
MAX_SEQ = (1 << SEQ_BITS) - 1


class VitalsEvent(BaseModel):
    """One reading from one bedside device."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_id: str = Field(pattern=r"^dev-\d{6}$")
    seq: int = Field(ge=0, le=MAX_SEQ)
    patient_ref: str = Field(pattern=r"^pt-[0-9a-f]{12}$", description="pseudonymous, not a real id")
    ts: float = Field(description="device clock, Unix epoch seconds")
    heart_rate: int = Field(ge=0, le=300)
    spo2: int = Field(ge=0, le=100)
    systolic: int = Field(ge=0, le=300)
    diastolic: int = Field(ge=0, le=200)
    resp_rate: int = Field(ge=0, le=80)
    temp_c: float = Field(ge=25.0, le=45.0)

    @property
    def device_index(self) -> int:
        return int(self.device_id[4:])

    @property
    def event_key(self) -> int:
        return event_key(self.device_index, self.seq)

    @property
    def event_id(self) -> str:
        return f"{self.device_id}:{self.seq}"

    def digest(self) -> int:
        return event_digest(
            self.device_id, self.seq, self.patient_ref, self.ts, self.heart_rate, self.spo2,
            self.systolic, self.diastolic, self.resp_rate, self.temp_c,
        )


def event_key(device_index: int, seq: int) -> int:
    return (device_index << SEQ_BITS) | seq


def split_event_key(key: int) -> tuple[int, int]:
    return key >> SEQ_BITS, key & MAX_SEQ


def device_id(device_index: int) -> str:
    """``dev-000042``: the synthetic id of device ``device_index`` (``VitalsEvent.device_index``)."""
    return f"dev-{device_index:06d}"


def event_id(key: int) -> str:
    """``dev-000042:17`` from the bigint key: how a person reads a key (synthetic, safe for evidence)."""
    device, seq = split_event_key(key)
    return f"{device_id(device)}:{seq}"


def event_digest(
    device_id: str, seq: int, patient_ref: str, ts: float, heart_rate: int, spo2: int,
    systolic: int, diastolic: int, resp_rate: int, temp_c: float,
) -> int:
    """Signed 64-bit digest (first 8 bytes of SHA-256) of the canonical field encoding.

    ``ts`` is taken at microsecond precision and ``temp_c`` at 0.1 °C, the precision the store keeps,
    so a value read back from PostgreSQL hashes to the same digest as the value sent.
    """
    canonical = (
        f"{device_id}|{seq}|{patient_ref}|{round(ts * 1_000_000)}|{heart_rate}|{spo2}|"
        f"{systolic}|{diastolic}|{resp_rate}|{round(temp_c * 10)}"
    )
    (value,) = struct.unpack(">q", hashlib.sha256(canonical.encode()).digest()[:8])
    return int(value)
