"""Render the report model to ONE self-contained HTML file (inline CSS, charts as PNG data URIs).

The HTML is the only rendering: the PDF is printed from it, so the browser view and the paper copy
cannot disagree. Autoescaping is on because evidence text (reasons, summaries) is data, not markup.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from compliance.report.acknowledgements import group_key
from compliance.report.charts import Chart, lag_chart, loss_trend, phase_timeline, rpo_rto_trend
from compliance.report.models import AcknowledgementGroup, ControlRow, ControlStatus, Report

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_RPO_OBJECTIVE_S = 900.0
DEFAULT_RTO_OBJECTIVE_S = 3600.0


def render_html(report: Report, data_docs: list[str] | None = None) -> str:
    """The report page; ``data_docs`` are links (inside the report folder) to GE Data Docs indexes."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    drill_charts: list[Chart | None] = []
    if report.latest_drill is not None:
        drill_charts = [phase_timeline(report.latest_drill), lag_chart(report.latest_drill)]
    rpo_objective, rto_objective = _objectives(report)
    history_charts = [rpo_rto_trend(report.history, rpo_objective, rto_objective), loss_trend(report.history)]
    return template.render(
        r=report,
        s=report.summary,
        d=report.latest_drill,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        drill_charts=[c for c in drill_charts if c],
        history_charts=[c for c in history_charts if c],
        data_docs=data_docs or [],
        cls=status_class,
        num=number,
        count=count,
        chart=chart_html,
        acks=_acks_of(report),
        breakable=breakable,
    )


def status_class(status: ControlStatus | str) -> str:
    """CSS class of a status badge."""
    return str(getattr(status, "value", status)).lower().replace(" ", "-")


def number(value: float | None, unit: str) -> str:
    """A figure with its unit, or 'not measured' (never a made-up zero)."""
    if value is None:
        return "not measured"
    return f"{value:,.3f}".rstrip("0").rstrip(".") + (f" {unit}" if unit else "")


def count(value: int | None) -> str:
    """An event count, or 'not measured' (an aborted drill has no loss figure, never a 0)."""
    return "not measured" if value is None else str(value)


def breakable(path: str) -> Markup:
    """A resource path or id that may wrap after each ``/`` or ``::`` (escaped, then break points)."""
    text = str(escape(path))
    return Markup(text.replace("/", "/<wbr>").replace("::", "::<wbr>"))


def chart_html(chart: Chart) -> Markup:
    """A chart as a captioned, inline image."""
    return Markup(
        '<figure class="chart" data-chart="{key}"><img src="{uri}" alt="{alt}">'
        "<figcaption>{title}</figcaption></figure>"
    ).format(key=chart.key, uri=chart.data_uri, alt=escape(chart.alt), title=escape(chart.title))


def _acks_of(report: Report) -> Callable[[ControlRow], list[AcknowledgementGroup]]:
    """For a control row: the acknowledgement groups its exceptions belong to (the matrix links them)."""
    by_key = {(g.tool, g.check_id, g.reason, g.source): g for g in report.acknowledgements}

    def acks(control: ControlRow) -> list[AcknowledgementGroup]:
        found = (by_key.get(group_key(note)) for note in control.exceptions)
        return list({group.id: group for group in found if group is not None}.values())

    return acks


def _objectives(report: Report) -> tuple[float, float]:
    """The RPO/RTO objectives the latest drill was judged against (product defaults without a drill)."""
    thresholds = {
        o.name: o.threshold for o in (report.latest_drill.objectives if report.latest_drill else [])
    }
    return (
        thresholds.get("rpo_within_objective", DEFAULT_RPO_OBJECTIVE_S),
        thresholds.get("rto_within_objective", DEFAULT_RTO_OBJECTIVE_S),
    )
