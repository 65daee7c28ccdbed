"""Event identity: the device + sequence key, the readable event id and the payload digest.

Ids are synthetic (``dev-000042``), never real PHI. The digest is computed from the stored field
values with one function, so the ledger (producer side), the store (processor side) and the
integrity checks compare the same 64-bit integers (DESIGN §5); summing integers per key range is
what makes the checksum diff cheap.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

#: ``event_key = device_index << SEQ_BITS | seq``: one bigint key, ordered by device then sequence.
SEQ_BITS = 32
MAX_SEQ = (1 << SEQ_BITS) - 1
#: ``dev-`` and six digits: the synthetic device id.
DEVICE_ID_PATTERN = r"^dev-\d{6}$"
DEVICE_PREFIX = "dev-"


def event_key(device_index: int, seq: int) -> int:
    return (device_index << SEQ_BITS) | seq


def split_event_key(key: int) -> tuple[int, int]:
    return key >> SEQ_BITS, key & MAX_SEQ


def device_id(device_index: int) -> str:
    """``dev-000042``: the synthetic id of device ``device_index``."""
    return f"{DEVICE_PREFIX}{device_index:06d}"


def device_index(device: str) -> int:
    """The index of ``dev-000042`` (42)."""
    return int(device[len(DEVICE_PREFIX):])


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


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as measurement and validation need it (digests only, never the payload)."""

    event_key: int
    digest: int
    t_sent: float
    t_ack: float | None
