"""Read a PDF with poppler (Debian poppler-utils): page count, text, word boxes and how far ink goes.

Independent of the library that wrote the PDF. Installed by scripts/install-system-packages.sh; a
missing tool is a failure that says so (tests must not silently skip).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from matplotlib.image import imread

#: A4 height in PDF points, and the page margins of report.css (@page margin: 16mm 14mm 18mm 14mm).
A4_HEIGHT = 842.0
MM = 72 / 25.4
LEFT_RIGHT_MARGIN = 14 * MM
TOP_MARGIN = 16 * MM
BOTTOM_MARGIN = 18 * MM


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AssertionError(
            f"{name} not found on PATH: run scripts/install-system-packages.sh (installs poppler-utils)"
        )
    return found


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", _run(_tool("pdfinfo"), str(pdf)), re.MULTILINE)
    assert match
    return int(match.group(1))


def page_texts(pdf: Path) -> list[str]:
    """Each page's text laid out as printed."""
    return [_run(_tool("pdftotext"), "-layout", "-f", str(n), "-l", str(n), str(pdf), "-")
            for n in range(1, page_count(pdf) + 1)]


def reading_text(pdf: Path, first: int = 1, last: int | None = None) -> str:
    """Text in reading order (a wrapped table cell stays together), pages ``first``..``last``."""
    last = last or page_count(pdf)
    return _run(_tool("pdftotext"), "-f", str(first), "-l", str(last), str(pdf), "-")


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    page_width: float

    def overlaps(self, other: Word, slack: float = 0.5) -> bool:
        """Both boxes share area (beyond ``slack`` points): one text is printed over the other."""
        return (self.page == other.page
                and min(self.x_max, other.x_max) - max(self.x_min, other.x_min) > slack
                and min(self.y_max, other.y_max) - max(self.y_min, other.y_min) > slack)


def words(pdf: Path) -> list[Word]:
    """Every word with its horizontal extent (``pdftotext -bbox``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bbox.html"
        subprocess.run([_tool("pdftotext"), "-bbox", str(pdf), str(out)], check=True)
        root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", out.read_text(encoding="utf-8")))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    return [
        Word(page=n, text=w.text or "", x_min=float(w.attrib["xMin"]), x_max=float(w.attrib["xMax"]),
             y_min=float(w.attrib["yMin"]), y_max=float(w.attrib["yMax"]),
             page_width=float(page.attrib["width"]))
        for n, page in enumerate(root.findall(".//x:page", ns), start=1)
        for w in page.findall("x:word", ns)
    ]


def overlapping_words(pdf: Path) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other: text spilling out of its cell into the next."""
    found = []
    all_words = sorted(words(pdf), key=lambda w: (w.page, w.y_min))
    for i, word in enumerate(all_words):
        for other in all_words[i + 1:]:
            if other.page != word.page or other.y_min >= word.y_max:
                break
            if word.overlaps(other):
                found.append((word, other))
    return found


def ink_fill(pdf: Path) -> list[float]:
    """Per page, how far down its content area (inside the margins) the last ink goes: 0.0 to 1.0."""
    fills = []
    with tempfile.TemporaryDirectory() as tmp:
        _run(_tool("pdftoppm"), "-r", "30", "-gray", "-png", str(pdf), str(Path(tmp) / "page"))
        for png in sorted(Path(tmp).glob("page-*.png")):
            pixels = imread(png)
            height = pixels.shape[0]
            top = round(height * TOP_MARGIN / A4_HEIGHT)
            bottom = round(height * (1 - BOTTOM_MARGIN / A4_HEIGHT))
            content = pixels[top:bottom]
            inked = [y for y in range(content.shape[0]) if (content[y] < 0.8).any()]
            fills.append((inked[-1] + 1) / content.shape[0] if inked else 0.0)
    return fills
