using Microsoft.Data.Sqlite;
using Npgsql;
using Portal.Core.Data;

namespace Portal.TestCommon;

/// <summary>
/// A throw-away database for one test fixture: a SQLite file always; a fresh PostgreSQL or SQL Server database when
/// <c>PORTAL_TEST_POSTGRES</c> / <c>PORTAL_TEST_SQLSERVER</c> hold a server connection string.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "PORTAL_TEST_POSTGRES";
    public const string SqlServerVariable = "PORTAL_TEST_SQLSERVER";

    private readonly string? _serverConnectionString;
    private readonly string? _sqliteFolder;

    private TestDatabase(DatabaseProvider provider, string connectionString, string databaseName, string? serverConnectionString, string? sqliteFolder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        DatabaseName = databaseName;
        _serverConnectionString = serverConnectionString;
        _sqliteFolder = sqliteFolder;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public string DatabaseName { get; }

    /// <summary>Why this provider cannot be tested here, or null when it can.</summary>
    public static string? UnavailableReason(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => null,
        DatabaseProvider.Postgres when string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable)) =>
            $"PostgreSQL tests need {PostgresVariable} (a connection string to a server whose user may create databases); infra/scripts/test.sh sets it.",
        DatabaseProvider.SqlServer when string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(SqlServerVariable)) =>
            $"SQL Server tests need {SqlServerVariable} (a connection string to a server whose login may create databases).",
        _ => null,
    };

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        var name = "portal_test_" + Guid.NewGuid().ToString("N")[..16];
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
            {
                var folder = Path.Combine(Path.GetTempPath(), "portal-tests", name);
                Directory.CreateDirectory(folder);
                var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "portal.db"), Pooling = true, DefaultTimeout = 60 }.ToString();
                return new TestDatabase(provider, cs, name, null, folder);
            }

            case DatabaseProvider.Postgres:
            {
                var server = Environment.GetEnvironmentVariable(PostgresVariable)!;
                await using (var connection = new NpgsqlConnection(server))
                {
                    await connection.OpenAsync();
                    await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                    await command.ExecuteNonQueryAsync();
                }

                var cs = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
                return new TestDatabase(provider, cs, name, server, null);
            }

            case DatabaseProvider.SqlServer:
            {
                var server = Environment.GetEnvironmentVariable(SqlServerVariable)!;
                var cs = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(server) { InitialCatalog = name, TrustServerCertificate = true }.ToString();
                // Migrations create the database on SQL Server.
                return new TestDatabase(provider, cs, name, server, null);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(provider));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            switch (Provider)
            {
                case DatabaseProvider.Sqlite:
                    SqliteConnection.ClearAllPools();
                    if (_sqliteFolder is not null && Directory.Exists(_sqliteFolder))
                        Directory.Delete(_sqliteFolder, recursive: true);
                    break;
                case DatabaseProvider.Postgres:
                    NpgsqlConnection.ClearAllPools();
                    await using (var connection = new NpgsqlConnection(_serverConnectionString))
                    {
                        await connection.OpenAsync();
                        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", connection);
                        await command.ExecuteNonQueryAsync();
                    }

                    break;
                case DatabaseProvider.SqlServer:
                    Microsoft.Data.SqlClient.SqlConnection.ClearAllPools();
                    await using (var connection = new Microsoft.Data.SqlClient.SqlConnection(_serverConnectionString))
                    {
                        await connection.OpenAsync();
                        await using var command = new Microsoft.Data.SqlClient.SqlCommand(
                            $"IF DB_ID('{DatabaseName}') IS NOT NULL BEGIN ALTER DATABASE [{DatabaseName}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{DatabaseName}]; END", connection);
                        await command.ExecuteNonQueryAsync();
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NpgsqlException or Microsoft.Data.SqlClient.SqlException)
        {
            // A database left behind in a throw-away test cluster is not worth failing a test run for.
        }
    }
}
