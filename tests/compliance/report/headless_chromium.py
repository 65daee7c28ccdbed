"""Drive Debian's ``chromium`` from the command line: dump the DOM after load, take a screenshot.

Each run gets a fresh profile directory (removed afterwards) and flags that keep it offline and quiet,
so tests do not share state with each other or with a developer's browser.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
)
TIMEOUT_S = 120


def chromium_binary() -> str:
    """The browser, or a failure that says how to install it (tests must not silently skip)."""
    found = shutil.which("chromium")
    if found is None:
        raise AssertionError("chromium not found on PATH: run scripts/install-system-packages.sh (as root)")
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="htdr-chromium-")
    try:
        return subprocess.run(
            [chromium_binary(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(page: Path) -> str:
    """The DOM after the page loaded and its scripts ran, serialized as HTML."""
    return _run(["--dump-dom", page.resolve().as_uri()]).stdout


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the first ``height`` pixels of the page at ``width``."""
    _run([f"--window-size={width},{height}", f"--screenshot={out}", page.resolve().as_uri()])
    return out
