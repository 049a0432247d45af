#!/usr/bin/env bash
# Entry point of the `migrate` image: applies the idempotent SQL Server script built into the image (the one for this
# version of the portal). Safe to run again and against a database at any earlier version: each migration runs only
# when __EFMigrationsHistory does not list it yet.
#
# Environment:
#   PORTAL_SQL_SERVER          host, host,port or host\instance (required)
#   PORTAL_SQL_DATABASE        database name (default Portal; letters, digits and _ only)
#   PORTAL_SQL_USER            SQL login (required; the portal's own login needs no DDL rights when this one has them)
#   PORTAL_SQL_PASSWORD        its password (passed to sqlcmd through SQLCMDPASSWORD, never on the command line)
#   PORTAL_SQL_CREATE_DATABASE true: create the database first when it does not exist (needs CREATE DATABASE)
#   PORTAL_SQL_TRUST_SERVER_CERTIFICATE  true: accept the server's certificate unchecked (-C; self-signed servers)
#   PORTAL_SQL_WAIT_SECONDS    how long to wait for the server to answer (default 120)
#   PORTAL_SQLCMD              sqlcmd to use (default: the one in the image)
#   PORTAL_SQL_SCRIPT          script to apply (default: the one in the image)
set -euo pipefail

script="${PORTAL_SQL_SCRIPT:-/portal/portal-sqlserver.sql}"
server="${PORTAL_SQL_SERVER:?PORTAL_SQL_SERVER is required}"
database="${PORTAL_SQL_DATABASE:-Portal}"
user="${PORTAL_SQL_USER:?PORTAL_SQL_USER is required}"
export SQLCMDPASSWORD="${PORTAL_SQL_PASSWORD:?PORTAL_SQL_PASSWORD is required}"

if [[ ! "$database" =~ ^[A-Za-z0-9_]{1,128}$ ]]; then
  echo "PORTAL_SQL_DATABASE must be letters, digits and _ only: '$database'" >&2
  exit 2
fi

sqlcmd="${PORTAL_SQLCMD:-}"
for candidate in /opt/mssql-tools18/bin/sqlcmd /opt/mssql-tools/bin/sqlcmd; do
  if [[ -n "$sqlcmd" ]]; then break; fi
  if [[ -x "$candidate" ]]; then sqlcmd="$candidate"; break; fi
done
if [[ -z "$sqlcmd" ]]; then
  echo "sqlcmd not found in this image" >&2
  exit 2
fi

# -b: stop with a non-zero exit code on the first error; -I: QUOTED_IDENTIFIER ON, which EF Core's scripts need.
args=(-S "$server" -U "$user" -b -I)
if [[ "${PORTAL_SQL_TRUST_SERVER_CERTIFICATE:-false}" == "true" ]]; then
  args+=(-C)
fi

# Wait on the database itself (contained users, e.g. on Azure SQL, may not open master), or on master when it is to
# be created.
probe_database="$database"
if [[ "${PORTAL_SQL_CREATE_DATABASE:-false}" == "true" ]]; then
  probe_database=master
fi

wait_seconds="${PORTAL_SQL_WAIT_SECONDS:-120}"
deadline=$((SECONDS + wait_seconds))
until "$sqlcmd" "${args[@]}" -d "$probe_database" -Q "SET NOCOUNT ON; SELECT 1" -h -1 >/dev/null 2>&1; do
  if (( SECONDS >= deadline )); then
    echo "SQL Server at $server (database $probe_database) did not answer within ${wait_seconds}s; last attempt:" >&2
    "$sqlcmd" "${args[@]}" -d "$probe_database" -Q "SELECT 1" >&2 || true
    exit 1
  fi
  sleep 3
done

if [[ "${PORTAL_SQL_CREATE_DATABASE:-false}" == "true" ]]; then
  "$sqlcmd" "${args[@]}" -d master -Q "IF DB_ID(N'$database') IS NULL CREATE DATABASE [$database];"
fi

migrations=$(grep -c 'INSERT INTO \[__EFMigrationsHistory\]' "$script" || true)
echo "Applying the idempotent script ($migrations migrations; those already recorded are skipped) to [$database] on $server"
"$sqlcmd" "${args[@]}" -d "$database" -i "$script"

echo "Latest migrations now recorded in [$database]:"
"$sqlcmd" "${args[@]}" -d "$database" -h -1 -W \
  -Q "SET NOCOUNT ON; SELECT TOP (5) MigrationId FROM [__EFMigrationsHistory] ORDER BY MigrationId DESC;"
