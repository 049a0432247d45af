#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, starts a throw-away PostgreSQL cluster (unless
# PORTAL_TEST_POSTGRES is already set) and an SMTP server (smtp4dev, unless PORTAL_TEST_SMTP is set), runs `dotnet test Portal.sln`,
# then the Python client's suites against a throw-away portal, and prints "N passed, N failed, N skipped" over both.
# Extra arguments go to dotnet test (e.g. --filter "FullyQualifiedName~Projects").
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if ! command -v dotnet >/dev/null; then
  echo "The .NET SDK is needed (https://dot.net); global.json names the version." >&2
  exit 2
fi

# Headless Chromium for the end-to-end tests (Debian's package; no browser is downloaded by a test tool).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed; browser tests will be skipped"
fi
# axe-core (pinned in tests/Portal.E2E.Tests/axe) for the accessibility checks; with Chromium present they fail without it.
axe_dir=tests/Portal.E2E.Tests/axe
if command -v npm >/dev/null && { [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ] || [ "$axe_dir/package-lock.json" -nt "$axe_dir/node_modules/.package-lock.json" ]; }; then
  (cd "$axe_dir" && npm ci --no-audit --no-fund --loglevel=error) || echo "npm ci for axe-core failed; the accessibility tests will fail"
fi

pg_dir=""
if [ -z "${PORTAL_TEST_POSTGRES:-}" ]; then
  if pg_env=$(infra/scripts/start-postgres.sh); then
    eval "$pg_env"
    pg_dir="$PORTAL_PG_DIR"
    echo "PostgreSQL for tests: $PORTAL_TEST_POSTGRES"
  fi
fi
smtp_pid=""
smtp_dir=""
if [ -z "${PORTAL_TEST_SMTP:-}" ]; then
  if smtp_env=$(infra/scripts/start-smtp.sh); then
    eval "$smtp_env"
    smtp_pid="$PORTAL_SMTP_PID"
    smtp_dir="$PORTAL_SMTP_DIR"
    echo "SMTP server for tests (smtp4dev): $PORTAL_TEST_SMTP, API $PORTAL_TEST_SMTP_API"
  fi
fi
# Azurite and s3rver (npm packages in infra/test-servers) for the Azure Blob and S3 stores; tests skip without them.
blob_pids=""
blob_dir=""
if [ -z "${PORTAL_TEST_AZURITE:-}" ] && [ -z "${PORTAL_TEST_S3:-}" ]; then
  if blob_env=$(infra/scripts/start-blob-servers.sh); then
    eval "$blob_env"
    blob_pids="$PORTAL_BLOB_SERVERS_PIDS"
    blob_dir="$PORTAL_BLOB_SERVERS_DIR"
    echo "Blob store servers for tests: Azurite ${PORTAL_TEST_AZURITE:+started}, s3rver ${PORTAL_TEST_S3:-not started}"
  fi
fi
# A local OpenID Connect provider (npm oidc-provider) for the single sign-on tests; they skip without it.
oidc_pid=""
if [ -z "${PORTAL_TEST_OIDC:-}" ]; then
  if oidc_env=$(infra/scripts/start-oidc.sh); then
    eval "$oidc_env"
    oidc_pid="$PORTAL_OIDC_PID"
    echo "OpenID Connect provider for tests (oidc-provider): $PORTAL_TEST_OIDC"
  fi
fi
# The API contract tools (Redocly CLI, openapi-typescript, TypeScript; pinned in tools/api-contract) for ApiContractTests,
# which fail without them where node is installed.
if command -v npm >/dev/null; then
  contract=tools/api-contract
  if [ ! -x "$contract/node_modules/.bin/redocly" ] || [ ! -x "$contract/node_modules/.bin/tsc" ] || [ "$contract/package-lock.json" -nt "$contract/node_modules/.package-lock.json" ]; then
    (cd "$contract" && npm ci --no-audit --no-fund --loglevel=error) || echo "npm ci in $contract failed; the API contract tests will fail"
  fi
fi
cleanup() {
  [ -n "$pg_dir" ] && infra/scripts/stop-postgres.sh "$pg_dir"
  [ -n "$smtp_pid" ] && infra/scripts/stop-smtp.sh "$smtp_pid" "$smtp_dir"
  [ -n "$blob_pids" ] && infra/scripts/stop-blob-servers.sh "$blob_pids" "$blob_dir"
  [ -n "$oidc_pid" ] && infra/scripts/stop-oidc.sh "$oidc_pid"
}
trap cleanup EXIT

dotnet tool restore >/dev/null
dotnet build Portal.sln -nologo -v q -clp:ErrorsOnly
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit $build
fi

results="$root/TestResults"
rm -rf "$results"
log=$(mktemp)
dotnet test Portal.sln --no-build -nologo --results-directory "$results" --logger "trx" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 29, Skipped: 12, Total: 41 …").
passed=0; failed=0; skipped=0
while read -r f p s; do
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done < <(grep -E '(Passed|Failed)!  - Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/')
rm -f "$log"

# Name each failed test with the first lines of its message, so the end of the log says what broke.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk 'BEGIN { RS = "<UnitTestResult " }
       /^[^>]*outcome="Failed"/ {
         match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11)
         msg = ""
         if (match($0, /<Message>[^<]*<\/Message>/)) msg = substr($0, RSTART + 9, RLENGTH - 19)
         gsub(/&#xD;&#xA;|&#xD;|&#xA;|\r/, "\n", msg); gsub(/&quot;/, "\"", msg); gsub(/&apos;/, "'"'"'", msg); gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg); gsub(/&amp;/, "\\&", msg)
         split(msg, lines, "\n"); text = ""
         for (i = 1; i <= 6 && i in lines; i++) text = text "\n      " lines[i]
         printf "FAILED %s%s\n", name, text
       }' "$trx"
done

if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi

# The Python client (src/portal-py): its suites run against a portal started from the build above (Kestrel on a
# free 127.0.0.1 port, SQLite and blobs in a throw-away folder, stopped afterwards) and count into the line below.
# A run narrowed with arguments for dotnet test (--filter …) leaves them out.
if [ $# -gt 0 ]; then
  echo "arguments for dotnet test given: the Python client's tests are skipped"
elif command -v python3 >/dev/null; then
  py_log=$(mktemp)
  timeout 600 python3 src/portal-py/tests/run_tests.py 2>&1 | tee "$py_log"
  py_status=${PIPESTATUS[0]}
  py_counts=$(sed -nE 's/^python tests: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$py_log" | tail -1)
  rm -f "$py_log"
  if [ -n "$py_counts" ]; then
    read -r p f s <<<"$py_counts"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
  if [ "$py_status" -ne 0 ]; then
    [ -z "$py_counts" ] && failed=$((failed + 1))
    [ $status -eq 0 ] && status=$py_status
  fi
else
  echo "python3 not found: the Python client's tests are skipped"
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit $status
