#!/usr/bin/env bash
# Installs the few Debian packages the project needs beyond PyPI/npm (everything else is a wheel):
#   chromium       headless Chromium: the report tests render index.html, dump the DOM, screenshot it
#   poppler-utils  pdfinfo / pdftotext: the report tests count and read the pages of report.pdf
#   libpango + harfbuzz-subset + a font: WeasyPrint's system libraries, to print report.pdf
# Idempotent: does nothing when all are present. Needs root (apt-get) only when something is missing.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # ldconfig lives there, off a non-root user's PATH
missing=()
command -v chromium >/dev/null || missing+=(chromium)
{ command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null; } || missing+=(poppler-utils)
has_lib() { ldconfig -p 2>/dev/null | grep "$1" >/dev/null; }  # not -q: an early exit would SIGPIPE ldconfig under pipefail
has_lib libpangoft2-1.0.so.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
has_lib libharfbuzz-subset.so.0 || missing+=(libharfbuzz-subset0)
[ -n "$(ls /usr/share/fonts/truetype/dejavu 2>/dev/null)" ] || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-packages: missing ${missing[*]}; as root run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-system-packages: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run may hold the lock: wait for it instead of failing.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null && command -v pdfinfo >/dev/null
echo "install-system-packages: done ($(chromium --version 2>/dev/null | head -1))" >&2
