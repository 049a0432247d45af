using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Web.Tests.Features.Artifacts;
using Xunit.Abstractions;

namespace Portal.Web.Tests.Reliability;

/// <summary>
/// 50 clients over real HTTP (Kestrel on 127.0.0.1) commit versions and read pages for a bounded time. Nothing may
/// fail, no commit may be lost or counted twice, and version numbers stay gap-free per artifact. The figures
/// (throughput, p95) go to the test output and to <c>load-figures.txt</c> beside the test assembly.
/// </summary>
[Trait("Category", "Load")]
public abstract class LoadTests(LoadTests.KestrelApp app, ITestOutputHelper output)
{
    public abstract class KestrelApp(DatabaseProvider provider) : PortalApp(provider)
    {
        protected override bool RunsOnKestrel => true;
    }

    public sealed class SqliteKestrelApp() : KestrelApp(DatabaseProvider.Sqlite);

    public sealed class PostgresKestrelApp() : KestrelApp(DatabaseProvider.Postgres);

    private const int Clients = 50;
    private const int Projects = 5;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("PORTAL_LOAD_SECONDS"), out var seconds) ? seconds : 15);

    private sealed record Sample(string Operation, double Milliseconds, bool Ok, string? Error);

    [SkippableFact]
    public async Task Fifty_clients_commit_and_read_without_an_error_a_lost_or_a_duplicated_version()
    {
        app.SkipIfUnavailable();
        var teams = new List<TestProject>();
        for (var i = 0; i < Projects; i++)
            teams.Add(await app.Data.CreateProjectWithTeamAsync());

        var samples = new ConcurrentBag<Sample>();
        var committed = new ConcurrentDictionary<Guid, string>();
        var deadline = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var team = teams[c % Projects];
            using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", team.Contributor.Token);
            var uploads = new ArtifactUploads(http, team.Slug);
            var round = 0;
            while (deadline.Elapsed < Duration)
            {
                round++;
                if (round % 2 == 1)
                {
                    // Ten clients share each artifact, so version numbers are contended.
                    var (entry, bytes) = ArtifactUploads.File($"part-{c}-{round}.jsonl", $"{{\"client\":{c},\"round\":{round},\"id\":\"{Guid.NewGuid()}\"}}\n");
                    await MeasureAsync(samples, "commit", async () =>
                    {
                        var result = await uploads.PublishAsync("shared", [(entry, bytes), ArtifactUploads.File("README.md", "shared")]);
                        if (!committed.TryAdd(result.Version.Id, result.Version.Version))
                            throw new InvalidOperationException($"version {result.Version.Id} was answered twice");
                    });
                }
                else if (round % 4 == 2)
                {
                    await MeasureAsync(samples, "api-read", async () =>
                        (await http.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/shared/versions?limit=20")).EnsureSuccessStatusCode());
                }
                else
                {
                    await MeasureAsync(samples, "page-read", async () =>
                    {
                        var page = await http.GetAsync($"/projects/{team.Slug}/artifacts/shared");
                        page.EnsureSuccessStatusCode();
                        var html = await page.Content.ReadAsStringAsync();
                        if (!html.Contains("shared", StringComparison.Ordinal))
                            throw new InvalidOperationException("the artifact page did not name its artifact");
                    });
                }
            }
        })).ToList();
        await Task.WhenAll(clients);
        var elapsed = deadline.Elapsed;

        var failures = samples.Where(s => !s.Ok).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {samples.Count} operations failed:\n" + string.Join("\n", failures.Take(10).Select(f => $"{f.Operation}: {f.Error}")));

        // Every answered commit is in the database exactly once; numbers run 1..N without gaps per artifact.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            var slugs = teams.Select(t => t.Slug).ToList();
            var versions = await db.ArtifactVersions.AsNoTracking()
                .Where(v => v.State == VersionState.Committed && slugs.Contains(v.Artifact.Project.Slug))
                .Select(v => new { v.Id, v.ArtifactId, v.Index })
                .ToListAsync();
            Assert.Equal(committed.Count, versions.Count);
            Assert.All(committed.Keys, id => Assert.Contains(versions, v => v.Id == id));
            foreach (var artifact in versions.GroupBy(v => v.ArtifactId))
            {
                var numbers = artifact.Select(v => v.Index!.Value).Order().ToList();
                Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
                Assert.InRange(numbers[0], 0, 1);
            }
        }

        var report = new List<string> { $"LOAD {app.Provider} clients={Clients} seconds={elapsed.TotalSeconds:F1} operations={samples.Count} throughput={samples.Count / elapsed.TotalSeconds:F1}/s" };
        foreach (var group in samples.GroupBy(s => s.Operation).OrderBy(g => g.Key))
        {
            var ms = group.Select(s => s.Milliseconds).Order().ToList();
            report.Add($"LOAD {app.Provider} {group.Key}: count={ms.Count} rate={ms.Count / elapsed.TotalSeconds:F1}/s p50={Percentile(ms, 0.50):F0} ms p95={Percentile(ms, 0.95):F0} ms max={ms[^1]:F0} ms");
        }
        foreach (var line in report)
            output.WriteLine(line);
        await File.AppendAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "load-figures.txt"), report);
        Assert.True(committed.Count >= Clients, $"only {committed.Count} commits in {elapsed.TotalSeconds:F0} s");
    }

    private static async Task MeasureAsync(ConcurrentBag<Sample> samples, string operation, Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await action();
            samples.Add(new Sample(operation, watch.Elapsed.TotalMilliseconds, true, null));
        }
        catch (Exception ex)
        {
            samples.Add(new Sample(operation, watch.Elapsed.TotalMilliseconds, false, ex.Message));
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

// One collection: the two providers' runs take turns instead of sharing the two cores.
[Collection("Load")]
public sealed class LoadTests_Sqlite(LoadTests.SqliteKestrelApp app, ITestOutputHelper output) : LoadTests(app, output), IClassFixture<LoadTests.SqliteKestrelApp>;

[Collection("Load")]
public sealed class LoadTests_Postgres(LoadTests.PostgresKestrelApp app, ITestOutputHelper output) : LoadTests(app, output), IClassFixture<LoadTests.PostgresKestrelApp>;
