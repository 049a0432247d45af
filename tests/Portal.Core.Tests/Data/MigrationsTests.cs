using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Portal.Core.Data;

namespace Portal.Core.Tests.Data;

/// <summary>Keeps all three providers' migrations honest without needing their servers.</summary>
public class MigrationsTests
{
    public static PortalDbContext ContextFor(DatabaseProvider provider)
    {
        var connectionString = provider switch
        {
            DatabaseProvider.Sqlite => "Data Source=:memory:",
            DatabaseProvider.SqlServer => "Server=localhost;Database=Portal;Trusted_Connection=True;TrustServerCertificate=True",
            _ => "Host=localhost;Database=portal;Username=portal;Password=portal",
        };
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        DatabaseServiceCollectionExtensions.Configure(builder, provider, connectionString);
        return new PortalDbContext(builder.Options);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    [InlineData(DatabaseProvider.Postgres)]
    public void Model_has_no_changes_missing_from_the_migrations(DatabaseProvider provider)
    {
        using var db = ContextFor(provider);
        Assert.True(db.Database.GetMigrations().Any(), $"{provider} has no migrations");
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The {provider} model has changes without a migration: run infra/scripts/add-migration.sh <Name>.");
    }

    [Fact]
    public void Every_provider_has_the_same_migrations_in_the_same_order()
    {
        static IEnumerable<string> Names(DatabaseProvider p)
        {
            using var db = ContextFor(p);
            // Ids are "<timestamp>_<Name>"; the timestamps differ per provider, the names must not.
            return db.Database.GetMigrations().Select(id => id[(id.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        }

        var sqlite = Names(DatabaseProvider.Sqlite);
        Assert.Equal(sqlite, Names(DatabaseProvider.SqlServer));
        Assert.Equal(sqlite, Names(DatabaseProvider.Postgres));
    }

    [Fact]
    public void SqlServer_idempotent_script_parses_with_TSql160()
    {
        using var db = ContextFor(DatabaseProvider.SqlServer);
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        Assert.Contains("CREATE TABLE [Projects]", script, StringComparison.Ordinal);
        Assert.Contains("IF NOT EXISTS", script, StringComparison.Ordinal);

        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(script);
        var fragment = parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0,
            "T-SQL parse errors:\n" + string.Join("\n", errors.Select(e => $"line {e.Line}: {e.Message}")));
        var batches = ((TSqlScript)fragment).Batches;
        Assert.True(batches.Sum(b => b.Statements.Count) > 20, "expected the statements of the whole schema");
    }
}
