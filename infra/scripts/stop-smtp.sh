#!/usr/bin/env bash
# Stops an smtp4dev started by start-smtp.sh (its whole process group) and removes its folder.
set -uo pipefail
pid="${1:?usage: stop-smtp.sh <pid> [dir]}"
kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
[ -n "${2:-}" ] && rm -rf "$2"
exit 0
