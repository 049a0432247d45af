#!/usr/bin/env bash
# Stops an OIDC provider started by start-oidc.sh (its whole process group).
set -uo pipefail
pid="${1:?usage: stop-oidc.sh <pid>}"
kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
exit 0
