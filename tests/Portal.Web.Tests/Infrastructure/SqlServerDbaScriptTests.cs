using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Portal.Core.Data;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>The DBA script as infra/scripts/sql-script.sh writes it: migrations, snapshot isolation, Hangfire's schema, grants.</summary>
public sealed class SqlServerDbaScriptTests
{
    private static IReadOnlyList<TSqlStatement> Parse(string script)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(script);
        var fragment = parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0, "T-SQL parse errors:\n" + string.Join("\n", errors.Select(e => $"line {e.Line}: {e.Message}")));
        var all = new AllStatements();
        fragment.Accept(all);
        return all.Found;
    }

    /// <summary>Every statement, also those inside IF and BEGIN … END.</summary>
    private sealed class AllStatements : TSqlFragmentVisitor
    {
        public List<TSqlStatement> Found { get; } = [];

        public override void Visit(TSqlStatement node) => Found.Add(node);
    }

    [Fact]
    public void The_combined_script_parses_with_TSql160_and_installs_Hangfire_and_snapshot_isolation()
    {
        using var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlServer("Server=unused;Database=portal", o => o.MigrationsAssembly(DatabaseOptions.MigrationsAssembly(DatabaseProvider.SqlServer)))
            .Options);
        var migrations = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        var jobs = SqlServerDbaScript.JobsSchema();
        var statements = Parse(migrations + jobs);

        Assert.Contains("READ_COMMITTED_SNAPSHOT ON", jobs, StringComparison.Ordinal);
        Assert.Contains($"[{SqlServerDbaScript.JobsSchemaName}].[Job]", jobs, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("$(", jobs, StringComparison.Ordinal);
        Assert.Contains(statements, s => s is AlterDatabaseSetStatement);
        Assert.Contains(statements, s => s is CreateTableStatement t && t.SchemaObjectName.BaseIdentifier.Value == "Projects");
    }

    [Fact]
    public void The_grants_give_data_rights_and_no_DDL()
    {
        var grants = SqlServerDbaScript.Grants();
        var statements = Parse(grants);
        var roles = statements.OfType<AlterRoleStatement>().Select(r => r.Name.Value).ToList();
        Assert.Equal(["db_datareader", "db_datawriter"], roles);
        Assert.DoesNotContain("db_ddladmin", grants, StringComparison.Ordinal);
        Assert.DoesNotContain("db_owner", grants, StringComparison.Ordinal);
        Assert.Contains(statements, s => s is CreateRoleStatement);
    }

    [Fact]
    public void The_command_writes_each_part_and_explains_its_usage()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(0, SqlServerDbaScript.Run([SqlServerDbaScript.Command, "grants"], output, errors));
        Assert.Contains(SqlServerDbaScript.Role, output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, SqlServerDbaScript.Run([SqlServerDbaScript.Command, "everything"], output, errors));
        Assert.Contains("jobs|grants", errors.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.SqlServer, true, false)]
    [InlineData(DatabaseProvider.SqlServer, false, true)]
    [InlineData(DatabaseProvider.SqlServer, null, true)]
    [InlineData(DatabaseProvider.Postgres, false, false)]
    [InlineData(DatabaseProvider.Sqlite, null, false)]
    public void Start_up_warns_when_read_committed_snapshot_is_not_known_to_be_on_for_SQL_Server(DatabaseProvider provider, bool? on, bool warns)
    {
        var warning = SnapshotIsolation.Warning(provider, on);
        Assert.Equal(warns, warning is not null);
        if (warning is not null)
            Assert.Contains("READ_COMMITTED_SNAPSHOT", warning, StringComparison.Ordinal);
    }
}
