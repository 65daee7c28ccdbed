"""The drill summary on an 80-column terminal: every figure an operator acts on appears whole."""

from __future__ import annotations

import io

from rich.console import Console

from benchmarks.evidence_samples import make_journal
from contracts.journal import DrillJournal, LossDetail, Status
from drills.measure.objectives import Objectives, evaluate
from htdr.journal_summary import history_table, journal_summary

WIDTH = 80


def _render(renderable: object) -> str:
    console = Console(width=WIDTH, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _with_mode(journal: DrillJournal, mode: str, ingest: str) -> DrillJournal:
    return journal.model_copy(update={"parameters": {**journal.parameters, "replication_mode": mode,
                                                     "ingest": ingest}})


def test_summary_fits_80_columns_with_every_figure_whole() -> None:
    journal = _with_mode(make_journal(1, lost=2, rto_s=14.25, rpo_s=0.4), "async", "single")
    text = _render(journal_summary(journal))
    assert all(len(line) <= WIDTH for line in _lines(text))
    assert "…" not in text
    m = journal.measurements
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in _lines(text)
            if line.count("│") == 3}
    assert rows["scenario"] == journal.scenario
    assert rows["mode"] == "async/single"
    assert rows["acknowledged"] == str(m.loss.acknowledged)
    assert rows["lost"] == "2"
    assert rows["RPO data"] == f"{m.rpo_data.value:.3f} s"
    assert rows["RPO metric"] == f"{m.rpo_metric.value:.3f} s"
    assert rows["RTO"] == "14.250 s"
    assert rows["status"] == "FAILED"
    for objective in journal.objectives:
        assert objective.name in text


def test_not_measured_is_shown_whole_at_80_columns() -> None:
    journal = make_journal(3, rto_s=None)
    m = journal.measurements.model_copy(update={"loss": LossDetail(not_measured="backlog never drained")})
    journal = journal.model_copy(update={"measurements": m, "objectives": evaluate(m, Objectives()),
                                         "status": Status.ABORTED})
    text = _render(journal_summary(journal))
    assert "…" not in text and all(len(line) <= WIDTH for line in _lines(text))
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in _lines(text)
            if line.count("│") == 3}
    for figure in ("acknowledged", "lost", "RTO"):
        assert rows[figure] == "not measured", figure
    assert rows["status"] == "ABORTED"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("│")[1:-1]]


def test_history_table_of_a_campaign_fits_80_columns() -> None:
    modes = (("async", "single"), ("sync", "dual"), ("sync", "dual"))
    journals = [_with_mode(make_journal(i, lost=i % 2, rto_s=3600.5 + i), mode, ingest)
                for i, (mode, ingest) in enumerate(modes)]
    m = journals[2].measurements.model_copy(update={"loss": LossDetail(not_measured="aborted")})
    journals[2] = journals[2].model_copy(update={"measurements": m, "status": Status.ABORTED})
    lines = _lines(_render(history_table(journals, "campaign")))
    assert "…" not in "".join(lines) and all(len(line) <= WIDTH for line in lines)
    rows = [_cells(line) for line in lines if line.startswith("│")]
    for n, j in enumerate(journals):
        first, second = rows[2 * n], rows[2 * n + 1]  # each drill: two lines, scenario over mode
        assert first[:2] == [j.scenario, j.status.value.upper()]
        assert second[0] == f"{j.parameters['replication_mode']}/{j.parameters['ingest']}"
        figures = [(a + " " + b).strip() for a, b in zip(first[2:], second[2:], strict=True)]
        loss = j.measurements.loss
        counts = (loss.acknowledged, loss.lost_or_changed)
        assert figures[:2] == ["not measured" if v is None else str(v) for v in counts]
        assert figures[2:] == [f"{j.measurements.rpo_data.value:.3f} s", f"{j.measurements.rto.value:.3f} s"]
