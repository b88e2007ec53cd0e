#!/usr/bin/env bash
# Install everything the tests need (Python packages in .venv; Debian's chromium and
# postgresql when missing) and run the whole test suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv test
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..." >&2
  apt_install chromium fonts-dejavu-core
fi
bash "$ROOT/scripts/ensure_postgres.sh"
"$VENV/bin/arms-training" validate
exec "$VENV/bin/python" -m pytest "$@"
