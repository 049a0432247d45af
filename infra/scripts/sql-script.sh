#!/usr/bin/env bash
# Writes the SQL Server scripts for DBAs:
#   <output-file>           the idempotent migration script (safe to run on any version of the database), followed by
#                           read-committed snapshot isolation and Hangfire's job storage schema (both idempotent), so
#                           the portal runs with Jobs:PrepareSchema=false and a login without DDL rights;
#   <output-file>-grants    (…-grants.sql) the database role portal_app with the portal's rights (data only, no DDL).
# Usage: infra/scripts/sql-script.sh [output-file]   (default: artifacts/portal-sqlserver.sql)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-artifacts/portal-sqlserver.sql}"
grants="${out%.sql}-grants.sql"
mkdir -p "$(dirname "$out")"
dotnet tool restore >/dev/null
dotnet ef migrations script --idempotent \
  --project src/Portal.Migrations.SqlServer --startup-project src/Portal.Migrations.SqlServer \
  --output "$out"
dotnet build src/Portal.Web -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
dll=src/Portal.Web/bin/Release/net10.0/Portal.Web.dll
dotnet "$dll" sql-server-script jobs >>"$out"
dotnet "$dll" sql-server-script grants >"$grants"
echo "wrote $out and $grants"
