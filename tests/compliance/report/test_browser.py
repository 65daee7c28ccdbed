"""The report as a real browser renders it: rows of the control matrix, decoded chart images, no network.

A copy of ``index.html`` gets a small probe script that, after load, writes each image's decoded size
into the DOM; ``chromium --dump-dom`` then shows what the browser actually rendered, not just markup.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from matplotlib.image import imread

from compliance.report.models import Report
from tests.compliance.report.headless_chromium import dump_dom, screenshot

PROBE = """<script>
window.addEventListener('load', () => {
  for (const img of document.images) {
    img.setAttribute('data-decoded', img.naturalWidth + 'x' + img.naturalHeight);
  }
  document.body.setAttribute('data-probe', 'loaded');
});
</script>"""
CHART_KEYS = {"timeline", "lag", "trend_rpo_rto", "trend_loss"}


class _Collector(HTMLParser):
    """Collects the attributes of every element, by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def of(self, tag: str, css_class: str | None = None) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag and (css_class is None or css_class in a.get("class", "").split())
        ]


def _rendered(report_dir: Path, tmp_path: Path) -> _Collector:
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    collector = _Collector()
    collector.feed(dump_dom(probe))
    return collector


def test_browser_renders_control_matrix_and_charts(built_report: Path, tmp_path: Path) -> None:
    model = Report.model_validate_json((built_report / "evidence.json").read_text())
    dom = _rendered(built_report, tmp_path)
    assert dom.of("body")[0].get("data-probe") == "loaded"

    citation_rows = dom.of("tr", "citation-row")
    control_rows = dom.of("tr", "control-row")
    assert [r["data-citation"] for r in citation_rows] == [c.id for c in model.citations]
    expected = [(c.id, ctl.id, ctl.status.value) for c in model.citations for ctl in c.controls]
    assert [(r["data-citation"], r["data-control"], r["data-status"]) for r in control_rows] == expected
    assert {r["data-status"] for r in control_rows} == {"PASS", "FAIL", "NO EVIDENCE", "MANUAL"}

    charts = {f["data-chart"] for f in dom.of("figure", "chart")}
    assert charts == CHART_KEYS
    images = dom.of("img")
    assert len(images) == len(CHART_KEYS)
    for image in images:
        width, height = (int(v) for v in image["data-decoded"].split("x"))
        assert width > 300 and height > 100, image["alt"]
        assert image["src"].startswith("data:image/png;base64,")


def test_report_is_self_contained(built_report: Path) -> None:
    html = (built_report / "index.html").read_text(encoding="utf-8")
    collector = _Collector()
    collector.feed(html)
    assert not collector.of("link") and not collector.of("script")
    external = [
        a
        for _t, a in collector.elements
        for key in ("src", "href")
        if a.get(key, "").startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert "url(http" not in html and "@import" not in html
    for link in collector.of("a"):  # every evidence link points at a file inside the report folder
        assert (built_report / link["href"]).is_file(), link["href"]


def test_screenshot_shows_a_rendered_page(built_report: Path, tmp_path: Path) -> None:
    shot = screenshot(built_report / "index.html", tmp_path / "report.png", width=1280, height=2400)
    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    ink = (pixels[:, :, :3].mean(axis=2) < 0.6).mean()  # dark pixels: text, badges, table rules
    assert ink > 0.01, f"page looks blank ({ink:.4f} dark)"
