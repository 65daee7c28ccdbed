"""A drill journal as terminal tables that stay whole on an 80-column terminal.

The figures an operator acts on (scenario, mode, acknowledged, lost, RPO, RTO, status) are never
shortened with an ellipsis: the drill's figures are stacked one per row (figure | value) instead of
spread over eight columns, and long prose (notes, integrity summaries) folds onto further lines.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from contracts.journal import DrillJournal

#: Narrowest a figure column may get: "measured", the longest word a figure cell holds.
FIGURE_WIDTH = len("measured")


def journal_summary(j: DrillJournal) -> Group:
    """The drill's figures, its objectives and its integrity results, in that order."""
    return Group(*(t for t in (_figures(j), _objectives(j), _integrity(j)) if t is not None))


def history_table(journals: list[DrillJournal], title: str) -> Table:
    """Several drills, one row each: scenario and mode stacked in one cell, then short figures that
    wrap between words ("not" / "measured") rather than lose characters, so 80 columns suffice."""
    table = Table(title=title, title_justify="left", pad_edge=False)
    table.add_column("scenario / mode", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for column in ("acked", "lost", "RPO data", "RTO"):
        table.add_column(column, justify="right", min_width=FIGURE_WIDTH)
    for j in journals:
        m = j.measurements
        table.add_row(f"{j.scenario}\n{_mode(j)}", _status(j), _count(m.loss.acknowledged),
                      _count(m.loss.lost_or_changed), _fmt(m.rpo_data.value), _fmt(m.rto.value))
    return table


def _figures(j: DrillJournal) -> Table:
    m = j.measurements
    table = Table(title=f"drill {j.run_id}: {_status(j)}", title_justify="left", show_header=False)
    table.add_column("figure", no_wrap=True)
    table.add_column("value", overflow="fold")
    rows = (
        ("scenario", j.scenario),
        ("mode", _mode(j)),
        ("acknowledged", _count(m.loss.acknowledged)),
        ("lost", _count(m.loss.lost_or_changed)),
        ("in doubt", _count(m.loss.in_doubt)),
        ("RPO data", _fmt(m.rpo_data.value)),
        ("RPO metric", _fmt(m.rpo_metric.value)),
        ("RTO", _fmt(m.rto.value)),
        ("status", _status(j)),
    )
    for name, value in rows:
        table.add_row(name, value)
    return table


def _objectives(j: DrillJournal) -> Table | None:
    if not j.objectives:
        return None
    table = Table(title="objectives", title_justify="left")
    table.add_column("objective", overflow="fold")
    table.add_column("observed", justify="right", no_wrap=True)
    table.add_column("threshold", justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for o in j.objectives:
        verdict = "[green]PASS[/green]" if o.passed else "[red]FAIL[/red]"
        table.add_row(o.name, _fmt(o.observed, o.unit), f"{o.threshold:g} {o.unit}", verdict)
    return table


def _integrity(j: DrillJournal) -> Table | None:
    if not j.integrity:
        return None
    table = Table(title="integrity", title_justify="left")
    table.add_column("check", no_wrap=True, overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("summary", overflow="fold")
    for r in j.integrity:
        table.add_row(r.name, "[green]PASS[/green]" if r.passed else "[red]FAIL[/red]", r.summary)
    return table


def _mode(j: DrillJournal) -> str:
    return f"{j.parameters.get('replication_mode')}/{j.parameters.get('ingest')}"


def _status(j: DrillJournal) -> str:
    return j.status.value.upper()


def _count(value: int | None) -> str:
    """An event count, or 'not measured' (an aborted drill has no loss figure, never a 0)."""
    return "not measured" if value is None else str(value)


def _fmt(value: float | None, unit: str = "s") -> str:
    return "not measured" if value is None else f"{value:.3f} {unit}" if unit == "s" else f"{value:g} {unit}"
