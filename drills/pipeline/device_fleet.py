"""A deterministic fleet of synthetic bedside monitors (no real patients, no real identifiers).

Each device has a seeded baseline (resting heart rate, SpO2, blood pressure, respiration, temperature)
and its readings random-walk around it with occasional drift episodes (a fever, a desaturation), so
the data looks like monitoring data without ever being PHI. ``patient_ref`` is a hash of seed and
device index: pseudonymous and stable, never a name or an MRN. Events are produced round-robin, so
global index ``i`` is device ``i % devices + 1`` at sequence ``i // devices``: a restarted producer can
resume from the ledger without skipping or reusing a sequence number.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from contracts.events import device_id, event_digest, event_key


@dataclass
class _Vitals:
    heart_rate: float
    spo2: float
    systolic: float
    diastolic: float
    resp_rate: float
    temp_c: float


@dataclass(frozen=True)
class SyntheticEvent:
    """One reading as the producer sends it (dict for the wire) and records it (key + digest)."""

    event_key: int
    device_id: str
    seq: int
    digest: int
    payload: dict[str, object]


#: (low, high) clamps: physiologically plausible and inside ``VitalsEvent``'s bounds.
_RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (35, 190), "spo2": (75, 100), "systolic": (75, 200), "diastolic": (40, 120),
    "resp_rate": (6, 40), "temp_c": (34.5, 41.5),
}


class DeviceFleet:
    """Generates the event stream of ``devices`` monitors from ``seed``; not thread-safe."""

    def __init__(self, devices: int, seed: int) -> None:
        self.devices = devices
        self._rng = random.Random(seed)
        self._patient_refs = [_patient_ref(seed, i) for i in range(1, devices + 1)]
        self._baselines = [self._baseline() for _ in range(devices)]
        self._targets = [_Vitals(**vars(b)) for b in self._baselines]
        self._current = [_Vitals(**vars(b)) for b in self._baselines]

    def event(self, global_index: int, ts: float) -> SyntheticEvent:
        """The reading at ``global_index`` stamped ``ts`` (rounded to the store's microsecond)."""
        slot, seq = global_index % self.devices, global_index // self.devices
        device_index = slot + 1
        device = device_id(device_index)
        vitals = self._step(slot)
        ts = round(ts, 6)
        values = {
            "heart_rate": round(vitals.heart_rate), "spo2": round(vitals.spo2),
            "systolic": round(vitals.systolic), "diastolic": round(vitals.diastolic),
            "resp_rate": round(vitals.resp_rate), "temp_c": round(vitals.temp_c, 1),
        }
        patient_ref = self._patient_refs[slot]
        digest = event_digest(device, seq, patient_ref, ts, **values)  # type: ignore[arg-type]
        payload = {"device_id": device, "seq": seq, "patient_ref": patient_ref, "ts": ts, **values}
        return SyntheticEvent(event_key(device_index, seq), device, seq, digest, payload)

    def _baseline(self) -> _Vitals:
        rng = self._rng
        systolic = rng.gauss(122, 12)
        return _Vitals(
            heart_rate=rng.gauss(75, 10), spo2=rng.uniform(95, 99.5), systolic=systolic,
            diastolic=systolic * rng.uniform(0.6, 0.7), resp_rate=rng.gauss(15, 2.5),
            temp_c=rng.gauss(36.8, 0.3),
        )

    def _step(self, slot: int) -> _Vitals:
        """Random walk toward a target that drifts away in rare episodes and relaxes back to baseline.

        1 in 2,000 steps starts an episode (tachycardia, fever, desaturation); the target then decays
        back to the device's baseline, so vitals wander realistically without trending forever.
        """
        rng, base, target, cur = self._rng, self._baselines[slot], self._targets[slot], self._current[slot]
        if rng.random() < 0.0005:
            target.heart_rate += rng.choice((-15, 25))
            target.temp_c += rng.choice((0.0, 1.2))
            target.spo2 -= rng.choice((0, 6))
        for name, (low, high) in _RANGES.items():
            goal = getattr(target, name)
            goal += 0.01 * (getattr(base, name) - goal)
            setattr(target, name, goal)
            value = getattr(cur, name)
            value += 0.1 * (goal - value) + rng.gauss(0, (high - low) * 0.004)
            setattr(cur, name, min(high, max(low, value)))
        cur.diastolic = min(cur.diastolic, cur.systolic - 15)
        return cur


def _patient_ref(seed: int, device_index: int) -> str:
    """Pseudonymous patient reference: 12 hex chars of a hash, reversible by nobody."""
    return "pt-" + hashlib.sha256(f"htdr-synthetic:{seed}:{device_index}".encode()).hexdigest()[:12]
