"""Synthetic patient-monitoring events: the reading one bedside device sends.

Ids are synthetic (``dev-000042``, pseudonymous ``pt-…``), never real PHI. The key, the readable id
and the digest come from ``contracts.events`` so every component computes them the same way.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import DEVICE_ID_PATTERN, MAX_SEQ, event_digest, event_id, event_key
from contracts.events import device_index as index_of


class VitalsEvent(BaseModel):
    """One reading from one bedside device."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_id: str = Field(pattern=DEVICE_ID_PATTERN)
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
        return index_of(self.device_id)
    @property
    def event_key(self) -> int:
        return event_key(self.device_index, self.seq)

    @property
    def event_id(self) -> str:
        return event_id(self.event_key)

    def digest(self) -> int:
        return event_digest(
            self.device_id, self.seq, self.patient_ref, self.ts, self.heart_rate, self.spo2,
            self.systolic, self.diastolic, self.resp_rate, self.temp_c,
        )
