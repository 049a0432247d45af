#!/usr/bin/env bash
# Stops the servers started by start-blob-servers.sh (each one's whole process group) and removes their data folder.
set -uo pipefail
pids="${1:?usage: stop-blob-servers.sh \"<pid> [pid]\" [dir]}"
for pid in $pids; do
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
done
# Azurite shuts down gracefully and takes a moment; whatever still runs after five seconds is killed.
for _ in $(seq 1 10); do
  alive=""
  for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.5
done
for pid in $pids; do
  kill -0 "$pid" 2>/dev/null && { kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null; }
done
[ -n "${2:-}" ] && rm -rf "$2"
exit 0
