#!/usr/bin/env bash
# Starts throw-away cloud blob store stand-ins on free local ports: Azurite (Azure Blob) and s3rver (S3), from the npm
# packages in infra/test-servers (installed with `npm ci` when missing), with their data in a temp folder.
# Usage: eval "$(infra/scripts/start-blob-servers.sh)"   → exports PORTAL_TEST_AZURITE (a connection string),
#        PORTAL_TEST_S3 (service URL), PORTAL_BLOB_SERVERS_PIDS and PORTAL_BLOB_SERVERS_DIR
# Stop them with: infra/scripts/stop-blob-servers.sh "$PORTAL_BLOB_SERVERS_PIDS" "$PORTAL_BLOB_SERVERS_DIR"
# A server that does not start is left out (its variable is not printed), so its tests skip; exit 3 when neither starts.
set -euo pipefail
cd "$(dirname "$0")/../test-servers"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed for the blob store test servers; their tests will be skipped." >&2
  exit 3
fi
if [ ! -x node_modules/.bin/azurite-blob ] || [ ! -x node_modules/.bin/s3rver ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "npm ci failed; blob store tests will be skipped." >&2; exit 3; }
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
azure_port=$(free_port)
s3_port=$(free_port)
dir=$(mktemp -d /tmp/portal-blob-servers.XXXXXX)
mkdir -p "$dir/azurite" "$dir/s3rver"

# --loose and --skipApiVersionCheck: accept the headers and service versions of the newest Azure SDK.
setsid node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$azure_port" --location "$dir/azurite" \
  --loose --skipApiVersionCheck --silent >"$dir/azurite.log" 2>&1 </dev/null &
azure_pid=$!
setsid node s3rver.js "$s3_port" "$dir/s3rver" >"$dir/s3rver.log" 2>&1 </dev/null &
s3_pid=$!

# Any HTTP answer (even 400/403 to an anonymous request) means the server is up.
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" != "000" ]; }
azure_up=""; s3_up=""
for _ in $(seq 1 120); do
  [ -z "$azure_up" ] && answers "http://127.0.0.1:$azure_port/devstoreaccount1?comp=list" && azure_up=1
  [ -z "$s3_up" ] && answers "http://127.0.0.1:$s3_port/" && s3_up=1
  [ -n "$azure_up" ] && [ -n "$s3_up" ] && break
  kill -0 "$azure_pid" 2>/dev/null || [ -n "$azure_up" ] || azure_up=dead
  kill -0 "$s3_pid" 2>/dev/null || [ -n "$s3_up" ] || s3_up=dead
  [ -n "$azure_up" ] && [ -n "$s3_up" ] && break
  sleep 0.5
done

pids=""
if [ "$azure_up" = 1 ]; then
  pids="$azure_pid"
  # The well-known development account of Azurite (public, documented key; it guards nothing).
  echo "export PORTAL_TEST_AZURITE='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$azure_port/devstoreaccount1;'"
else
  echo "Azurite did not start; Azure Blob tests will be skipped. Its log:" >&2
  tail -n 20 "$dir/azurite.log" >&2
  kill -- "-$azure_pid" 2>/dev/null || kill "$azure_pid" 2>/dev/null || true
fi
if [ "$s3_up" = 1 ]; then
  pids="${pids:+$pids }$s3_pid"
  # s3rver accepts the fixed credentials S3RVER/S3RVER.
  echo "export PORTAL_TEST_S3='http://127.0.0.1:$s3_port'"
else
  echo "s3rver did not start; S3 tests will be skipped. Its log:" >&2
  tail -n 20 "$dir/s3rver.log" >&2
  kill -- "-$s3_pid" 2>/dev/null || kill "$s3_pid" 2>/dev/null || true
fi
if [ -z "$pids" ]; then
  rm -rf "$dir"
  exit 3
fi
echo "export PORTAL_BLOB_SERVERS_PIDS='$pids'"
echo "export PORTAL_BLOB_SERVERS_DIR='$dir'"
