using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>The SQLite settings for a server workload, and the background checkpoints that keep the write-ahead log short.</summary>
public sealed class SqliteSettingsTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Connections_use_a_large_page_cache_and_leave_checkpoints_to_the_background()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        Assert.Equal("wal", await ScalarAsync(db, "PRAGMA journal_mode;"));
        Assert.Equal("-32768", await ScalarAsync(db, "PRAGMA cache_size;"));
        Assert.Equal("16384", await ScalarAsync(db, "PRAGMA wal_autocheckpoint;"));
    }

    [Fact]
    public async Task Committed_writes_reach_the_database_file_within_seconds()
    {
        var project = await app.Data.CreateProjectAsync(await app.Data.CreateUserAsync("ckpt"));

        // immutable=1 reads the database file alone, ignoring the write-ahead log: the project appears there only
        // once a checkpoint has copied it over. A write this small never reaches the automatic checkpoint's limit.
        var file = new SqliteConnectionStringBuilder(app.Database.ConnectionString).DataSource;
        var fileOnly = $"Data Source=file:{file}?immutable=1;Mode=ReadOnly;Pooling=False";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (await CountInFileAsync(fileOnly, project.Slug) == 1)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the write was not checkpointed into the database file within 15 s");
            await Task.Delay(250);
        }
    }

    /// <summary>The project's rows in the database file; 0 also while the file does not even hold the tables yet.</summary>
    private static async Task<long> CountInFileAsync(string fileOnly, string slug)
    {
        try
        {
            await using var connection = new SqliteConnection(fileOnly);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM \"Projects\" WHERE \"Slug\" = $slug";
            command.Parameters.AddWithValue("$slug", slug);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
        {
            return 0;
        }
    }

    private static async Task<string?> ScalarAsync(PortalDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
