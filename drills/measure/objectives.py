"""Recovery objectives and their evaluation: what the Dagster asset checks assert (DESIGN §5)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from contracts.journal import RPO_AGREE, RPO_WITHIN, RTO_WITHIN, ZERO_LOSS, Measurements, ObjectiveResult


class Objectives(BaseModel):
    """Thresholds; the defaults are the product's (RPO < 15 min, RTO < 1 h, no acknowledged loss)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rpo_s: float = Field(default=900.0, gt=0)
    rto_s: float = Field(default=3600.0, gt=0)
    max_acknowledged_loss: int = Field(default=0, ge=0)


def evaluate(m: Measurements, objectives: Objectives) -> list[ObjectiveResult]:
    """One result per objective. A figure that was not measured fails its objective, with the reason."""
    return [
        _below(RPO_WITHIN, m.rpo_data.value, objectives.rpo_s, "s", m.rpo_data.note),
        _below(RTO_WITHIN, m.rto.value, objectives.rto_s, "s", m.rto.note),
        _zero_loss(m, objectives.max_acknowledged_loss),
        ObjectiveResult(
            name=RPO_AGREE,
            observed=None if m.rpo_data.value is None or m.rpo_metric.value is None
            else round(abs(m.rpo_data.value - m.rpo_metric.value), 3),
            threshold=m.rpo_agreement_tolerance_s, unit="s", passed=m.rpo_agree is True,
            note=m.rpo_agreement_note,
        ),
    ]


def _zero_loss(m: Measurements, loss_limit: int) -> ObjectiveResult:
    """Unmeasured loss fails the objective: "no figure" is never "no loss"."""
    lost = m.loss.lost_or_changed
    if lost is None:
        return ObjectiveResult(name=ZERO_LOSS, observed=None, threshold=float(loss_limit), unit="events",
                               passed=False, note=f"not measured: {m.loss.not_measured or m.loss.method}")
    return ObjectiveResult(
        name=ZERO_LOSS, observed=float(lost), threshold=float(loss_limit), unit="events",
        passed=lost <= loss_limit,
        note=f"{m.loss.lost} missing, {m.loss.digest_mismatches} digest mismatches, "
        f"{m.loss.in_doubt} in doubt",
    )


def _below(name: str, observed: float | None, threshold: float, unit: str, note: str) -> ObjectiveResult:
    if observed is None:
        return ObjectiveResult(name=name, observed=None, threshold=threshold, unit=unit, passed=False,
                               note=f"not measured: {note}")
    return ObjectiveResult(name=name, observed=observed, threshold=threshold, unit=unit,
                           passed=observed < threshold, note=note)
