"""Print the report HTML to PDF with WeasyPrint, in process.

Why WeasyPrint rather than ``chromium --print-to-pdf``: it is pinned in ``uv.lock``, needs no browser
process (no sandbox flags, profile dir or timeouts) and runs wherever the report is built, including a
Dagster sensor as a normal user. Its only system needs are Pango and a font; on a clean Debian/Ubuntu
``apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core``.
"""

from __future__ import annotations

from pathlib import Path

from compliance.report.evidence_error import ReportError

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


def render_pdf(html: str, base_dir: Path, out: Path) -> int:
    """Write ``out`` from ``html`` (relative links resolve against ``base_dir``); returns the page count."""
    try:
        import weasyprint
    except OSError as exc:  # a system library is missing: WeasyPrint fails at import time
        raise ReportError(
            f"PDF rendering needs Pango ({exc.__class__.__name__}); "
            f"install it: apt-get install {SYSTEM_PACKAGES}"
        ) from None
    document = weasyprint.HTML(string=html, base_url=str(base_dir)).render()
    document.write_pdf(out)
    return len(document.pages)
