# Shared by scripts/start.sh and scripts/test.sh: a local virtual environment in .venv,
# reinstalled only when pyproject.toml changes, and Debian packages installed when missing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "need root (or sudo) to run: $*" >&2; return 1
  fi
}

apt_install() {
  # apt_install PACKAGE...: install Debian packages quietly, updating the lists once.
  if [ -z "${_ARMS_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq >/dev/null
    _ARMS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

without_services() {
  # without_services COMMAND...: run an install without Debian starting the services it
  # installs (policy-rc.d answering 101), as ensure_postgres.sh does for PostgreSQL.
  local policy=/usr/sbin/policy-rc.d made=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod +x "$policy" && made=1
  fi
  "$@" || status=$?
  if [ "$made" = 1 ]; then as_root rm -f "$policy"; fi
  return "$status"
}

pick_python() {
  for py in python3.11 python3.12 python3.13 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$py"; return 0
    fi
  done
  echo "arms-training needs Python 3.11 or newer" >&2
  return 1
}

ensure_venv() {
  # ensure_venv [EXTRAS]: create .venv and install the package (with extras) when needed.
  local extras="${1:-}" target="$ROOT" stamp
  [ -n "$extras" ] && target="$ROOT[$extras]"
  if [ ! -x "$VENV/bin/python" ]; then
    local py; py="$(pick_python)"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      echo "installing python3-venv (Debian)..." >&2
      apt_install python3-venv
      "$py" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  fi
  stamp="$(sha256sum < "$ROOT/pyproject.toml" | cut -c1-16)-$extras"
  if [ "$(cat "$VENV/.arms-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "installing arms-training and its dependencies into .venv (a few minutes the first time)..." >&2
    if ! "$VENV/bin/python" -m pip install -q -e "$target" 2> >(grep -v "^WARNING: Location" >&2); then
      echo "pip could not install arms-training; see the messages above" >&2
      return 1
    fi
    echo "$stamp" > "$VENV/.arms-stamp"
  fi
}
