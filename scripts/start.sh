#!/usr/bin/env bash
# Install arms-training into .venv and start the trainee and staff apps on the embedded
# defaults (SQLite file in ./data, the shipped framework and case library).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv
exec "$VENV/bin/arms-training" serve "$@"
