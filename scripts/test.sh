#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest (unit, engine and sandbox integration tests).
# pytest exits 5 when it collects nothing; set -e turns that into a failure, as it should be.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
echo "== ruff"; ruff check .
echo "== mypy"; mypy contracts cdk_app drills compliance htdr benchmarks
echo "== pytest"; exec pytest "$@"
