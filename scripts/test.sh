#!/usr/bin/env bash
# Install everything the tests need (Python packages in .venv; Debian's chromium, postgresql,
# nginx and openssl when missing, their services never started; axe-core from npm), check lint,
# format and types, and run the whole test suite. Arguments go to pytest
# (e.g. bash scripts/test.sh -m "not e2e" -x).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv test
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..." >&2
  apt_install chromium fonts-dejavu-core
fi
if [ ! -f "$ROOT/tests/e2e/node_modules/axe-core/axe.min.js" ]; then
  echo "installing axe-core (npm) for the accessibility checks..." >&2
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
bash "$ROOT/scripts/ensure_postgres.sh"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null 2>&1; then
  echo "installing Debian's nginx and openssl for the deployment test (the service is not started)..." >&2
  without_services apt_install nginx openssl
fi
"$VENV/bin/arms-training" validate
echo "ruff, ruff format and mypy..." >&2
"$VENV/bin/ruff" check arms_training tests benchmarks
"$VENV/bin/ruff" format --check --quiet arms_training tests benchmarks
"$VENV/bin/mypy"
exec "$VENV/bin/python" -m pytest "$@"
