"""Detect PHI-like values in text: what must never appear in the report or the evidence it carries.

The pipeline's only person-linked values are pseudonymous patient refs (``pt-`` + hex) and vitals
(heart rate, SpO2, blood pressure, respiration, temperature). An auditor needs counts and ids of the
form ``device:seq``, never those values, so anything that looks like one is kept out. Findings name
the pattern, never the matched value, so the guard itself cannot leak what it found.
"""

from __future__ import annotations

import re
from pathlib import Path

VITAL_FIELDS = ("patient_ref", "heart_rate", "spo2", "systolic", "diastolic", "resp_rate", "temp_c")

_PATTERNS: dict[str, re.Pattern[str]] = {
    "patient ref (pt-…)": re.compile(r"\bpt-[0-9a-f]{6,}\b", re.IGNORECASE),
    "vital field with a value": re.compile(
        r"[\"']?\b(?:" + "|".join(VITAL_FIELDS) + r")\b[\"']?\s*[:=]\s*[\"']?[-\w.]", re.IGNORECASE
    ),
    "quoted unexpected values (great_expectations)": re.compile(
        r"[\"'](?:partial_)?unexpected_(?:list|index_list|counts)[\"']\s*:\s*\[\s*[^\]\s]"
    ),
}


def phi_findings(text: str) -> list[str]:
    """Names of the PHI-like patterns present in ``text`` (empty when clean)."""
    return [name for name, pattern in _PATTERNS.items() if pattern.search(text)]


def file_findings(path: Path) -> list[str]:
    """PHI-like patterns in a file, read as UTF-8 text (binary content cannot match and is ignored)."""
    return phi_findings(path.read_bytes().decode("utf-8", errors="ignore"))
