using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Features.Health;

/// <summary>
/// <c>/healthz/live</c> asks nothing of the dependencies; <c>/healthz/ready</c> (and <c>/healthz</c>) is 503 when the
/// database or the blob store fails, naming the failing check but never the exception to anonymous callers.
/// </summary>
public sealed class HealthEndpointsTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Live_and_ready_answer_healthy_with_each_check()
    {
        var client = app.AnonymousClient();
        var live = await (await client.GetAsync("/healthz/live")).ReadOkAsync<JsonElement>();
        Assert.Equal("healthy", live.GetProperty("status").GetString());
        Assert.Equal("healthy", live.GetProperty("checks").GetProperty("process").GetProperty("status").GetString());

        foreach (var path in new[] { "/healthz/ready", "/healthz" })
        {
            var ready = await (await client.GetAsync(path)).ReadOkAsync<JsonElement>();
            Assert.Equal("healthy", ready.GetProperty("status").GetString());
            Assert.Equal("ok", ready.GetProperty("database").GetString());
            var checks = ready.GetProperty("checks");
            foreach (var check in new[] { "database", "blob_store", "job_storage" })
                Assert.Equal("healthy", checks.GetProperty(check).GetProperty("status").GetString());
            Assert.False(checks.TryGetProperty("process", out _), "the ready check asks the dependencies, not the process check");
        }
    }

    [Fact]
    public async Task A_broken_database_makes_ready_unhealthy_but_not_live_and_anonymous_callers_see_no_exception()
    {
        await ExecuteAsync(MoveAuditHeadsAway);
        try
        {
            var client = app.AnonymousClient();
            foreach (var path in new[] { "/healthz/ready", "/healthz" })
            {
                var response = await client.GetAsync(path);
                var text = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                var body = JsonDocument.Parse(text).RootElement;
                Assert.Equal("unhealthy", body.GetProperty("status").GetString());
                Assert.Equal("unreachable", body.GetProperty("database").GetString());
                Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
                AssertNoExceptionDetails(text);
            }
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);

            // A site admin is told what failed.
            var admin = await app.AdminClient().GetAsync("/healthz/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, admin.StatusCode);
            Assert.Contains("AuditChainHeads", await admin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync(MoveAuditHeadsBack);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.AnonymousClient().GetAsync("/healthz/ready")).StatusCode);
    }

    [Fact]
    public async Task A_broken_blob_store_makes_ready_unhealthy_but_not_live()
    {
        var root = app.FileStore.Root;
        Directory.CreateDirectory(root);
        var aside = root + "-aside";
        Directory.Move(root, aside);
        // A file where the store's folder should be: nothing can be listed or stored.
        await File.WriteAllTextAsync(root, "not a folder");
        try
        {
            var client = app.AnonymousClient();
            var response = await client.GetAsync("/healthz/ready");
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var checks = JsonDocument.Parse(text).RootElement.GetProperty("checks");
            Assert.Equal("unhealthy", checks.GetProperty("blob_store").GetProperty("status").GetString());
            Assert.Equal("healthy", checks.GetProperty("database").GetProperty("status").GetString());
            AssertNoExceptionDetails(text);
            Assert.DoesNotContain(root, text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            File.Delete(root);
            Directory.Move(aside, root);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.AnonymousClient().GetAsync("/healthz/ready")).StatusCode);
    }

    private static void AssertNoExceptionDetails(string body)
    {
        foreach (var word in new[] { "Exception", "exception", "description", "SQLite", "no such table", "   at " })
            Assert.DoesNotContain(word, body, StringComparison.Ordinal);
    }

    // The table the database check reads, renamed away and back: the database answers but the schema is broken.
    private const string MoveAuditHeadsAway = "ALTER TABLE \"AuditChainHeads\" RENAME TO \"AuditChainHeadsAway\"";
    private const string MoveAuditHeadsBack = "ALTER TABLE \"AuditChainHeadsAway\" RENAME TO \"AuditChainHeads\"";

    private Task ExecuteAsync(string sql) =>
        app.WithServicesAsync(async sp =>
        {
            await using var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Database.ExecuteSqlRawAsync(sql);
        });
}
