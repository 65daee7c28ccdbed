"""Charts of the report as base64 PNG data URIs, drawn with matplotlib from the report model only.

PNG inside the HTML keeps the file self-contained and renders identically in a browser and in the
PDF engine. Figures are built with ``matplotlib.figure.Figure`` (no pyplot), so drawing needs no
display, no global state and works in a Dagster sensor as well as on the command line.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from compliance.report.models import DrillView, HistoryRow

DPI = 110
SIZE = (8.0, 3.0)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str
    data_uri: str
    figure: Figure = field(repr=False, compare=False)  # what was drawn, for inspection


def phase_timeline(view: DrillView) -> Chart | None:
    """Each phase as a marker at its offset from the fault; the RTO span is shaded."""
    if not view.timeline:
        return None
    fig, ax = _figure()
    phases = [mark.phase for mark in view.timeline]
    offsets = [mark.offset_s for mark in view.timeline]
    ax.scatter(offsets, range(len(phases)), color="#1f5fa8", zorder=3, clip_on=False)
    span = max(max(offsets) - min(offsets), 1.0)
    ax.set_xlim(min(offsets) - 0.05 * span, max(offsets) + 0.05 * span)
    ax.set_yticks(range(len(phases)), labels=[p.replace("_", " ") for p in phases])
    ax.invert_yaxis()
    ax.axvline(0.0, color="#b22222", linestyle="--", linewidth=1, label="t0 (fault)")
    if view.rto.value is not None:
        ax.axvspan(0.0, view.rto.value, color="#f4c542", alpha=0.3, label=f"RTO {view.rto.value:g} s")
    ax.set_xlabel("seconds after the fault")
    _legend(fig, ax)
    return _chart(
        "timeline",
        "Drill phase timeline",
        fig,
        f"Phase timeline of drill {view.run_id}: {len(phases)} phases from "
        f"{min(offsets):g} s to {max(offsets):g} s around the fault",
    )


def lag_chart(view: DrillView) -> Chart | None:
    """Replication lag samples around the fault; unreadable samples are gaps, not zeros."""
    points = [(p.offset_s, p.lag_s) for p in view.lag]
    if not any(lag is not None for _, lag in points):
        return None
    fig, ax = _figure()
    xs = [x for x, _ in points]
    ys = [float("nan") if lag is None else lag for _, lag in points]
    ax.plot(xs, ys, color="#1f5fa8", marker=".", linewidth=1)
    ax.axvline(0.0, color="#b22222", linestyle="--", linewidth=1, label="t0 (fault)")
    ax.set_xlabel("seconds after the fault")
    ax.set_ylabel("lag (s)")
    _legend(fig, ax)
    sources = sorted({p.source for p in view.lag})
    return _chart(
        "lag",
        "Replication lag",
        fig,
        f"Replication lag of drill {view.run_id} over {len(points)} samples from {', '.join(sources)}",
    )


def rpo_rto_trend(history: list[HistoryRow], rpo_objective_s: float, rto_objective_s: float) -> Chart | None:
    """RPO and RTO of every drill in order, against the objectives; not-measured runs are gaps."""
    if not history:
        return None
    fig, ax = _figure()
    runs = range(1, len(history) + 1)
    ax.plot(runs, [_nan(h.rpo_data_s) for h in history], marker="o", label="RPO (data)")
    ax.plot(runs, [_nan(h.rto_s) for h in history], marker="s", label="RTO")
    ax.axhline(
        rpo_objective_s,
        color="#1f77b4",
        linestyle=":",
        linewidth=1,
        label=f"RPO objective {rpo_objective_s:g} s",
    )
    ax.axhline(
        rto_objective_s,
        color="#ff7f0e",
        linestyle=":",
        linewidth=1,
        label=f"RTO objective {rto_objective_s:g} s",
    )
    ax.set_yscale("symlog", linthresh=1.0)
    _run_axis(ax, history)
    ax.set_ylabel("seconds")
    _legend(fig, ax)
    return _chart(
        "trend_rpo_rto",
        "RPO / RTO across drills",
        fig,
        f"RPO and RTO of {len(history)} drills against their objectives",
    )


def _height(count: int | None) -> float:
    """No bar (NaN) for a count that was not measured: an empty slot, never a zero."""
    return float("nan") if count is None else float(count)


def loss_trend(history: list[HistoryRow]) -> Chart | None:
    """Lost and in-doubt acknowledged events per drill."""
    if not history:
        return None
    fig, ax = _figure()
    runs = list(range(1, len(history) + 1))
    lost = [_height(h.lost) for h in history]
    in_doubt = [_height(h.in_doubt) for h in history]
    ax.bar([r - 0.2 for r in runs], lost, width=0.4, color="#b22222", label="lost")
    ax.bar([r + 0.2 for r in runs], in_doubt, width=0.4, color="#888888", label="in doubt")
    _run_axis(ax, history)
    ax.set_ylabel("events")
    _legend(fig, ax)
    return _chart(
        "trend_loss",
        "Lost and in-doubt events across drills",
        fig,
        f"Lost and in-doubt acknowledged events of {len(history)} drills",
    )


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    return fig, ax


def _legend(fig: Figure, ax: Axes) -> None:
    """The legend below the plot, outside the axes, so it can never hide a point or a bar."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=8,
               frameon=False)


def _run_axis(ax: Axes, history: list[HistoryRow]) -> None:
    ax.set_xticks(
        range(1, len(history) + 1),
        labels=[h.started_at.strftime("%m-%d %H:%M") for h in history],
        rotation=30,
        fontsize=7,
    )
    ax.set_xlabel("drill start (UTC)")


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _chart(key: str, title: str, fig: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Chart(key=key, title=title, alt=alt, data_uri=f"data:image/png;base64,{encoded}", figure=fig)
