#!/usr/bin/env bash
# Measures the `portal` CLI against a local portal (SQLite, blobs in a temp folder), as issue 4 asks:
#   1. fresh put of FILES files of SIZE_KB KiB each, next to `sha256sum` over the same files (ratio printed), after a
#      100 MiB warm-up put of other content to the freshly started portal;
#   2. put of SMALL_FILES small files, then an unchanged put, then a put with 10 files changed;
#   3. get of that version into a folder that already holds it.
# Defaults are the issue's sizes (1 GiB in 1,000 files; 100,000 small files). Smaller runs:
#   FILES=100 SIZE_KB=1024 SMALL_FILES=10000 infra/bench/cli-bench.sh
set -euo pipefail

FILES=${FILES:-1000}
SIZE_KB=${SIZE_KB:-1024}
SMALL_FILES=${SMALL_FILES:-100000}
PORT=${PORT:-5391}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/portal-bench.XXXXXX)
TOKEN=ptl_BenchBootstrapToken0123456789abcdefGHIJ
SERVER_PID=

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

echo "building (Release)…"
dotnet build "$ROOT/src/Portal.Web" -c Release -v q -nologo >/dev/null
dotnet build "$ROOT/src/Portal.Cli" -c Release -v q -nologo >/dev/null
PORTAL="dotnet $ROOT/src/Portal.Cli/bin/Release/net10.0/portal.dll"

echo "starting the portal on 127.0.0.1:$PORT (work folder $WORK)…"
(
  cd "$ROOT/src/Portal.Web"
  ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production AllowedHosts='*' \
  Database__Provider=Sqlite ConnectionStrings__Portal="Data Source=$WORK/portal.db" Database__MigrateOnStartup=true \
  Storage__Root="$WORK/blobs" DataProtection__KeysFolder="$WORK/keys" Portal__SeedDemoData=false \
  Portal__Bootstrap__AdminEmail=bench@example.com Portal__Bootstrap__AdminPassword=Bench-password-123 \
  Portal__Bootstrap__AdminApiToken=$TOKEN Jobs__Storage=InMemory Jobs__RunServer=false \
  Logging__LogLevel__Default=Warning \
  exec dotnet "bin/Release/net10.0/Portal.Web.dll"
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/server.log"; exit 1; }

export PORTAL_URL="http://127.0.0.1:$PORT" PORTAL_TOKEN=$TOKEN PORTAL_CACHE_DIR="$WORK/cache" PORTAL_CONFIG_DIR="$WORK/config"
$PORTAL projects create bench >/dev/null
export PORTAL_PROJECT=bench

echo "generating $FILES files of $SIZE_KB KiB…"
mkdir -p "$WORK/big"
for i in $(seq 1 "$FILES"); do head -c "$((SIZE_KB * 1024))" /dev/urandom >"$WORK/big/f$i.bin"; done
# A production portal is a long-running process: warm the freshly started one (JIT, connection and thread pools) with
# a small put of other content, so the fresh put below measures an upload, not the server's start-up.
echo "warming the portal with a 100 MiB put (100 x 1 MiB, other content; not timed)…"
mkdir -p "$WORK/warm"
for i in $(seq 1 100); do head -c 1048576 /dev/urandom >"$WORK/warm/w$i.bin"; done
$PORTAL artifact put "$WORK/warm" -n warm -t dataset >/dev/null 2>&1
rm -rf "$WORK/warm"
sync

t0=$(now); (cd "$WORK/big" && find . -type f -print0 | xargs -0 sha256sum >/dev/null); t1=$(now)
sha=$(elapsed "$t0" "$t1")
t0=$(now); $PORTAL artifact put "$WORK/big" -n big -t dataset >/dev/null 2>&1; t1=$(now)
put=$(elapsed "$t0" "$t1")
printf 'fresh put, %s x %s KiB:   %6.2f s   sha256sum: %6.2f s   ratio %.2f (target <= 1.5)\n' "$FILES" "$SIZE_KB" "$put" "$sha" "$(echo "$put / $sha" | bc -l)"

echo "generating $SMALL_FILES small files…"
mkdir -p "$WORK/small"
python3 - "$WORK/small" "$SMALL_FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:06d}.txt"), "w") as f:
        f.write(f"small file {i}\n")
PY
# Files written in the last seconds are re-hashed on purpose (their mtime could be reused); age them like a real tree.
find "$WORK/small" -type f -exec touch -d '-1 hour' {} +

t0=$(now); $PORTAL artifact put "$WORK/small" -n small -t dataset >/dev/null 2>&1; t1=$(now)
printf 'fresh put, %s small files: %6.2f s\n' "$SMALL_FILES" "$(elapsed "$t0" "$t1")"
t0=$(now); out=$($PORTAL artifact put "$WORK/small" -n small -t dataset 2>/dev/null); t1=$(now)
printf 'unchanged put:             %6.2f s   (%s; target < 3 s)\n' "$(elapsed "$t0" "$t1")" "$out"
for i in 1 2 3 4 5 6 7 8 9 10; do echo "changed $i" >"$WORK/small/d000/f00000$((i - 1)).txt"; done
t0=$(now); out=$($PORTAL artifact put "$WORK/small" -n small -t dataset --json 2>/dev/null | tr -d '\n ' ); t1=$(now)
printf '10 files changed put:      %6.2f s   (%s; target < 5 s)\n' "$(elapsed "$t0" "$t1")" "$out"

$PORTAL artifact get small:latest -o "$WORK/copy" >/dev/null 2>&1
# As above: age the fresh copy, then let one get record the aged files in the digest cache.
find "$WORK/copy" -type f -exec touch -d '-1 hour' {} +
$PORTAL artifact get small:latest -o "$WORK/copy" >/dev/null 2>&1
t0=$(now); out=$($PORTAL artifact get small:latest -o "$WORK/copy" 2>/dev/null); t1=$(now)
printf 'get into a full folder:    %6.2f s   (%s; target < 3 s)\n' "$(elapsed "$t0" "$t1")" "$out"
