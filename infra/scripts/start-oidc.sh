#!/usr/bin/env bash
# Starts a throw-away OpenID Connect provider (the oidc-provider npm package, infra/test-servers/oidc/server.mjs) on a
# free 127.0.0.1 port over http, installing its packages first when they are missing.
# Usage: eval "$(infra/scripts/start-oidc.sh)"   → exports PORTAL_TEST_OIDC (the issuer URL) and PORTAL_OIDC_PID
# Stop it with: infra/scripts/stop-oidc.sh "$PORTAL_OIDC_PID"
set -euo pipefail
cd "$(dirname "$0")/../test-servers/oidc"

if ! command -v node >/dev/null; then
  echo "node is needed for the OIDC provider; OIDC sign-in tests will be skipped." >&2
  exit 3
fi
if [ ! -d node_modules/oidc-provider ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "npm ci failed; OIDC sign-in tests will be skipped." >&2; exit 3; }
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp /tmp/portal-oidc.XXXXXX.log)
setsid node server.mjs "$port" >"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/.well-known/openid-configuration" >/dev/null 2>&1; then
    echo "export PORTAL_OIDC_PID='$pid'"
    echo "export PORTAL_TEST_OIDC='http://127.0.0.1:$port'"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.5
done
echo "The OIDC provider did not start; OIDC sign-in tests will be skipped. Its log:" >&2
tail -n 20 "$log" >&2
kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
exit 3
