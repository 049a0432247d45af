#!/usr/bin/env bash
# Writes the idempotent SQL Server migration script for DBAs (safe to run on any version of the database).
# Usage: infra/scripts/sql-script.sh [output-file]   (default: artifacts/portal-sqlserver.sql)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-artifacts/portal-sqlserver.sql}"
mkdir -p "$(dirname "$out")"
dotnet tool restore >/dev/null
dotnet ef migrations script --idempotent \
  --project src/Portal.Migrations.SqlServer --startup-project src/Portal.Migrations.SqlServer \
  --output "$out"
echo "wrote $out"
