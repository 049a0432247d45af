using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Core.Data;

namespace Portal.Web.Tests.Reliability;

/// <summary>
/// The database cuts the portal's connections (PostgreSQL <c>pg_terminate_backend</c>, as a failover or a restarted
/// server does) while commits run: each commit either completes or fails cleanly with problem details, readers never
/// see half a version, and the client's retry completes.
/// </summary>
[Trait("Category", "Faults")]
public sealed class DatabaseFaultTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [SkippableFact]
    public async Task Connections_cut_during_commits_leave_whole_versions_and_retried_commits_complete()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var http = app.ClientWithToken(team.Contributor.Token);
        using var client = new PortalClient(http) { MaxRetries = 5, RetryDelay = TimeSpan.FromMilliseconds(200) };
        var outcomes = new List<HttpStatusCode>();
        var pending = new List<Guid>();
        foreach (var delay in new[] { 0, 2, 5, 10, 20, 40 })
        {
            var entries = Enumerable.Range(0, 20_000)
                .Select(i => new ManifestEntryModel($"docs/{delay}/{i:D5}.md", Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(delay * 100_000 + i))), 100, $"s3://bucket/{delay}/{i}"))
                .ToList();
            var created = await client.CreateVersionAsync(team.Slug, "corpus", new CreateVersionRequest("dataset", Entries: entries));
            pending.Add(created.VersionId!.Value);

            var commit = http.PostAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/versions/{created.VersionId}/commit", null);
            await Task.Delay(delay);
            var cut = await CutConnectionsAsync();
            var response = await commit;
            outcomes.Add(response.StatusCode);
            if (!response.IsSuccessStatusCode)
            {
                // A clean failure: a server error with problem details, never a hang or a half-written body.
                Assert.True((int)response.StatusCode >= 500, $"commit answered {(int)response.StatusCode} after {cut} connections were cut");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            await FaultTests.AssertWholeVersionsAsync(client, team.Slug);
            var retried = await client.CommitVersionAsync(team.Slug, "corpus", created.VersionId!.Value);
            Assert.Equal(CreateVersionStatus.Committed, retried.Status);
        }

        var versions = await FaultTests.AssertWholeVersionsAsync(client, team.Slug);
        Assert.Equal(pending.Order(), versions.Select(v => v.Id).Order());
    }

    /// <summary>Terminates every other session on the test database; returns how many there were.</summary>
    private async Task<int> CutConnectionsAsync()
    {
        await using var admin = new NpgsqlConnection(app.Database.ConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The blob store's disk fills up under an upload: 507 with a clear error, nothing stored, the blob still missing.</summary>
[Trait("Category", "Faults")]
public sealed class DiskFullTests(DiskFullTests.FullDiskApp app) : IClassFixture<DiskFullTests.FullDiskApp>
{
    /// <summary>The portal whose blob writes go to <c>/dev/full</c>, which fails every write with ENOSPC like a full disk.</summary>
    public sealed class FullDiskApp() : PortalApp(DatabaseProvider.Sqlite)
    {
        public List<string> TempFiles { get; } = [];

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<Portal.Core.Storage.IBlobStore>(_ =>
                new Portal.Core.Storage.FileSystemBlobStore(StorageRoot)
                {
                    OpenTempFile = path =>
                    {
                        File.WriteAllBytes(path, []);
                        lock (TempFiles)
                            TempFiles.Add(path);
                        return new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                    },
                }));
        }
    }

    [SkippableFact]
    public async Task A_full_disk_answers_507_stores_nothing_and_the_blob_stays_missing()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "needs /dev/full");
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var bytes = RandomNumberGenerator.GetBytes(3 << 20);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var response = await client.PutAsync($"/api/v1/blobs/sha256/{digest}", new ByteArrayContent(bytes) { Headers = { ContentType = new("application/octet-stream") } });
        var problem = await response.AssertProblemAsync(HttpStatusCode.InsufficientStorage, ErrorCodes.StorageFull);
        Assert.Contains("out of disk space", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.NotEmpty(app.TempFiles);
        Assert.All(app.TempFiles, path => Assert.False(File.Exists(path), $"temp file {path} was left behind"));
        Assert.Empty(Directory.EnumerateFiles(app.StorageRoot, digest, SearchOption.AllDirectories));
        var missing = await (await client.PostJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([digest]))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Contains(digest, missing.Missing);
    }
}

/// <summary>
/// The database fills up under a write: 507 <c>storage_full</c> instead of 500. SQLite is filled for real by capping
/// its size with <c>PRAGMA max_page_count</c> (SQLITE_FULL, as on a full disk); the other providers' codes are
/// covered by <c>DatabaseErrorsTests</c>.
/// </summary>
[Trait("Category", "Faults")]
public sealed class DatabaseFullTests(DatabaseFullTests.FullDatabaseApp app) : IClassFixture<DatabaseFullTests.FullDatabaseApp>
{
    public sealed class FullDatabaseApp() : PortalApp(DatabaseProvider.Sqlite)
    {
        public SizeCap Cap { get; } = new();

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(Cap)));
        }
    }

    /// <summary>While <see cref="Full"/>, every connection may not grow the database file (SQLite keeps it at its size).</summary>
    public sealed class SizeCap : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
    {
        public volatile bool Full;

        public override async Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var command = connection.CreateCommand();
            // A cap below the current size is raised to the current size: "no new pages".
            command.CommandText = Full ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823";
            await command.ExecuteScalarAsync(cancellationToken);
        }

        public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Full ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823";
            command.ExecuteScalar();
        }
    }

    [SkippableFact]
    public async Task A_full_database_answers_507_storage_full_and_nothing_is_created()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var entries = Enumerable.Range(0, 20_000)
            .Select(i => new ManifestEntryModel($"docs/{i:D5}.md", Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))), 100, $"s3://bucket/{i}"))
            .ToList();

        app.Cap.Full = true;
        HttpResponseMessage response;
        try
        {
            response = await client.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/versions", new CreateVersionRequest("dataset", Entries: entries));
        }
        finally
        {
            app.Cap.Full = false;
        }

        var problem = await response.AssertProblemAsync(HttpStatusCode.InsufficientStorage, ErrorCodes.StorageFull);
        Assert.Contains("database is out of space", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var created = await (await client.PostJsonAsync($"/api/v1/projects/{team.Slug}/artifacts/corpus/versions", new CreateVersionRequest("dataset", Entries: entries)))
            .ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(entries.Count, created.FileCount);
    }
}
