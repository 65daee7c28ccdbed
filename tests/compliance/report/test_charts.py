"""Every chart's legend sits outside its plotting area, so it can hide no point, line or bar."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from benchmarks.evidence_samples import make_journal
from compliance.report.charts import Chart, lag_chart, loss_trend, phase_timeline, rpo_rto_trend
from compliance.report.drill_views import drill_view, history_row


def _charts() -> list[Chart]:
    journals = [make_journal(n, lost=n % 2, rto_s=10.0 + n) for n in range(1, 5)]
    view = drill_view(journals[-1], "evidence/drills/j.json")
    history = [history_row(j, f"evidence/drills/{j.run_id}.json") for j in journals]
    charts = [phase_timeline(view), lag_chart(view), rpo_rto_trend(history, 900.0, 3600.0),
              loss_trend(history)]
    assert all(c is not None for c in charts)
    return [c for c in charts if c is not None]


def test_legends_lie_outside_the_plotting_area_and_name_every_series() -> None:
    for chart in _charts():
        figure = chart.figure
        renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw(renderer)
        (axes,) = figure.axes
        plot_area = axes.get_window_extent(renderer)
        assert figure.legends, chart.key
        for legend in figure.legends:
            box = legend.get_window_extent(renderer)
            assert not box.overlaps(plot_area), (chart.key, box, plot_area)
            shown = {text.get_text() for text in legend.get_texts()}
            drawn = {label for label in axes.get_legend_handles_labels()[1]}
            assert shown == drawn, chart.key  # nothing labelled was left out of the legend
        assert axes.get_legend() is None, chart.key  # no second legend inside the plot
