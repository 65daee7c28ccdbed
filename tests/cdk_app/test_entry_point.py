"""``python -m cdk_app`` as the CDK CLI runs it: bad context is one line and no assembly is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_bad_suffix_fails_before_synthesis(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(
            {"environmentSuffix": "Bad_Suffix", "dbSecret": "a", "cacheSecret": "b"}
        ),
        "CDK_OUTDIR": str(outdir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "cdk_app"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("cdk_app:")]
    assert lines == [lines[0]] and "environmentSuffix" in lines[0] and "Bad_Suffix" in lines[0]
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(outdir.glob("*.template.json"))
