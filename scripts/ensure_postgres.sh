#!/usr/bin/env bash
# Make Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) available for the test suite.
#
# The tests start their own throwaway cluster from these binaries (tests/pg.py); this script only
# installs the package. It never starts or configures the system service: a policy-rc.d that
# refuses service starts is in place during the install (Debian's package would otherwise start
# the "main" cluster it creates).
#
# Idempotent and silent when the binaries are already present. Needs root or sudo to install.
# Usage: scripts/ensure_postgres.sh
set -euo pipefail

have_initdb() {
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null
}

if have_initdb; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "ensure_postgres: initdb not found, and installing PostgreSQL needs root or sudo" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null; then
    echo "ensure_postgres: initdb not found and apt-get is not available;" \
         "install the PostgreSQL server binaries or set ARMS_TEST_PG_URL" >&2
    exit 1
fi

echo "ensure_postgres: installing Debian's postgresql package (the service is not started)" >&2
# policy-rc.d exit 101 tells Debian maintainer scripts not to start services during the install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod +x "$policy"
    created_policy=1
fi
cleanup() {
    if [ "$created_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null

if ! have_initdb; then
    echo "ensure_postgres: postgresql installed but initdb still not found" >&2
    exit 1
fi
