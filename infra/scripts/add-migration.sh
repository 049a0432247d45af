#!/usr/bin/env bash
# Adds the same EF Core migration to all three providers (SQLite, SQL Server, PostgreSQL).
# Usage: infra/scripts/add-migration.sh <Name>
set -euo pipefail
name="${1:?usage: add-migration.sh <MigrationName>}"
cd "$(dirname "$0")/../.."
dotnet tool restore >/dev/null
dotnet build src/Portal.Core -v q -nologo >/dev/null
for provider in Sqlite SqlServer Postgres; do
  project="src/Portal.Migrations.$provider"
  echo "== $provider"
  dotnet ef migrations add "$name" --project "$project" --startup-project "$project" --output-dir Migrations
done
