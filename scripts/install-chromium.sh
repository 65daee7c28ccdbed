#!/usr/bin/env bash
# Installs the test-only browser tools the auditor-report tests drive (tests/compliance/report/):
#   chromium       headless Chromium: renders index.html, dumps the DOM, takes a screenshot
#   poppler-utils  pdfinfo / pdftotext: count and read the pages of report.pdf
# Idempotent: does nothing when both are on PATH. Needs root (apt-get) only when something is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
{ command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null; } || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: missing ${missing[*]}; as root run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-chromium: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run may hold the lock (parallel bootstrap): wait for it instead of failing.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null && command -v pdfinfo >/dev/null
echo "install-chromium: done ($(chromium --version 2>/dev/null | head -1))" >&2
