#!/usr/bin/env bash
# Stops and removes a cluster started by start-postgres.sh.
set -uo pipefail
dir="${1:?usage: stop-postgres.sh <dir>}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
run=()
[ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"
