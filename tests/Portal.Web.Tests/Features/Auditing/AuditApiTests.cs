using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Web.Tests.Features.Auditing;

public abstract class AuditApiTests(PortalApp app)
{
    private const string Events = "/api/v1/audit/events";

    private static async Task<PagedResponse<AuditEventResponse>> ListAsync(HttpClient client, string query) =>
        await (await client.GetAsync($"{Events}?{query}")).ReadOkAsync<PagedResponse<AuditEventResponse>>();

    [SkippableFact]
    public async Task Project_admins_read_their_project_with_filters_and_site_admins_read_everything()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);

        var all = await ListAsync(admin, $"project={team.Slug}");
        Assert.Equal(4, all.Total);
        Assert.Equal(["member.added", "member.added", "member.added", "project.created"], all.Items.Select(e => e.Action));
        Assert.All(all.Items, e => Assert.Equal(team.Slug, e.ProjectSlug));
        Assert.All(all.Items, e => Assert.Equal(team.Admin.Email, e.ActorEmail));
        Assert.True(all.Items.Select(e => e.Sequence).SequenceEqual(all.Items.Select(e => e.Sequence).OrderDescending()), "newest first");

        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "kb", "documents", null, "audited", ("a.md", "hello"));
        var byContributor = await ListAsync(admin, $"project={team.Slug}&actor={Uri.EscapeDataString(team.Contributor.Email)}");
        Assert.Contains(byContributor.Items, e => e.Action == "artifact_version.committed");
        Assert.All(byContributor.Items, e => Assert.Equal(team.Contributor.Id, e.ActorId));
        Assert.Equal(byContributor.Total, (await ListAsync(admin, $"project={team.Slug}&actor={team.Contributor.Id}")).Total);

        var members = await ListAsync(admin, $"project={team.Slug}&action=member.");
        Assert.Equal(3, members.Total);

        var paged = await ListAsync(admin, $"project={team.Slug}&limit=2");
        Assert.Equal(2, paged.Items.Count);
        Assert.NotNull(paged.ContinuationToken);
        var next = await ListAsync(admin, $"project={team.Slug}&limit=2&before={paged.ContinuationToken}");
        Assert.True(next.Items[0].Sequence < paged.Items[^1].Sequence);

        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("O");
        Assert.Equal(0, (await ListAsync(admin, $"project={team.Slug}&from={Uri.EscapeDataString(future)}")).Total);
        var past = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        Assert.Equal(all.Total + byContributor.Total, (await ListAsync(admin, $"project={team.Slug}&from={Uri.EscapeDataString(past)}&to={Uri.EscapeDataString(future)}")).Total);
        await (await admin.GetAsync($"{Events}?project={team.Slug}&from={Uri.EscapeDataString(future)}&to={Uri.EscapeDataString(past)}"))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.AuditFilterInvalid);

        // The site admin reads across projects, including records of no project (accounts).
        var site = await ListAsync(app.AdminClient(), $"actor={Uri.EscapeDataString(team.Admin.Email)}&limit=1000");
        Assert.Contains(site.Items, e => e.Action == "project.created" && e.ProjectSlug == team.Slug);
        var other = await app.Data.CreateProjectAsync(team.Reviewer);
        Assert.Contains((await ListAsync(app.AdminClient(), $"project={other.Slug}")).Items, e => e.Action == "project.created");
    }

    [SkippableFact]
    public async Task Members_without_the_admin_role_and_outsiders_are_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        foreach (var member in new[] { team.Reviewer, team.Contributor, team.Viewer })
        {
            var client = app.ClientWithToken(member.Token);
            await (await client.GetAsync($"{Events}?project={team.Slug}")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
            await (await client.GetAsync($"{Events}.csv?project={team.Slug}")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }

        // Without a project only site admins may read: the whole log is not a project admin's.
        await (await app.ClientWithToken(team.Admin.Token).GetAsync(Events)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await app.ClientWithToken(team.Admin.Token).PostAsync("/api/v1/audit/verify", null)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var outsider = await app.Data.CreateUserAsync("outsider");
        await (await app.ClientWithToken(outsider.Token).GetAsync($"{Events}?project={team.Slug}")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        await (await app.AnonymousClient().GetAsync(Events)).AssertProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [SkippableFact]
    public async Task The_csv_export_has_every_matching_record_with_values_escaped()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        (await admin.PostJsonAsync($"/api/v1/projects/{team.Slug}/webhooks", new CreateWebhookRequest("https://csv.example.test/", Description: "=cmd, \"quoted\"\nsecond line")))
            .EnsureSuccessStatusCode();

        var response = await admin.GetAsync($"{Events}.csv?project={team.Slug}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("sequence,at,project,actor_id,actor_email,action,target_type,target_id,before,after,hash\r\n", csv, StringComparison.Ordinal);
        var listed = await ListAsync(admin, $"project={team.Slug}");
        foreach (var e in listed.Items)
            Assert.Contains($"\r\n{e.Sequence},", csv, StringComparison.Ordinal);
        // The recorded JSON is one quoted field: its quotes doubled, its commas kept inside.
        Assert.Contains("\"\"description\"\":\"\"=cmd, \\u0022quoted\\u0022\\nsecond line\"\"", csv, StringComparison.Ordinal);
        Assert.Contains(listed.Items[^1].Hash, csv, StringComparison.Ordinal);
        var firstRow = csv.Split("\r\n")[1];
        Assert.StartsWith(listed.Items[^1].Sequence + ",", firstRow, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    [InlineData("=SUM(A1)", "'=SUM(A1)")]
    [InlineData("@cmd", "'@cmd")]
    [InlineData("-2+3,x", "\"'-2+3,x\"")]
    [InlineData(null, "")]
    public void Csv_fields_are_quoted_and_never_start_a_formula(string? value, string expected) =>
        Assert.Equal(expected, Portal.Core.Features.Auditing.AuditTrail.Csv(value));

    [SkippableFact]
    public async Task The_log_is_append_only_through_the_api()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var record = (await ListAsync(app.AdminClient(), $"project={team.Slug}")).Items[0];
        var admin = app.AdminClient();
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            var response = await admin.SendAsync(new HttpRequestMessage(method, $"{Events}/{record.Id}") { Content = JsonContent.Create(new { action = "nothing.happened" }) });
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} answered {(int)response.StatusCode}");
            var bulk = await admin.SendAsync(new HttpRequestMessage(method, Events));
            Assert.True(bulk.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} on the collection answered {(int)bulk.StatusCode}");
        }

        var again = (await ListAsync(admin, $"project={team.Slug}")).Items[0];
        Assert.Equal(record, again);
    }

    [SkippableFact]
    public async Task The_openapi_document_describes_webhooks_and_audit()
    {
        app.SkipIfUnavailable();
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<System.Text.Json.JsonElement>();
        var paths = doc.GetProperty("paths");
        foreach (var path in new[]
                 {
                     "/api/v1/projects/{slug}/webhooks", "/api/v1/projects/{slug}/webhooks/{id}", "/api/v1/projects/{slug}/webhooks/{id}/deliveries",
                     "/api/v1/projects/{slug}/webhooks/{id}/test", "/api/v1/projects/{slug}/webhooks/{id}/secret",
                     "/api/v1/audit/events", "/api/v1/audit/events.csv", "/api/v1/audit/verify",
                 })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }

        var schemas = doc.GetProperty("components").GetProperty("schemas");
        foreach (var schema in new[] { "CreateWebhookRequest", "CreatedWebhookResponse", "WebhookResponse", "WebhookDeliveryResponse", "AuditEventResponse", "AuditVerifyResponse" })
            Assert.True(schemas.TryGetProperty(schema, out _), $"schema {schema} is missing from the OpenAPI document");
    }
}

public sealed class AuditApiTests_Sqlite(SqliteApp app) : AuditApiTests(app), IClassFixture<SqliteApp>;

public sealed class AuditApiTests_Postgres(PostgresApp app) : AuditApiTests(app), IClassFixture<PostgresApp>;

/// <summary>Tampering breaks the shared chain, so these tests run on a database of their own.</summary>
public abstract class AuditVerifyTests(PortalApp app)
{
    private async Task<AuditVerifyResponse> VerifyAsync() =>
        await (await app.AdminClient().PostAsync("/api/v1/audit/verify", null)).ReadOkAsync<AuditVerifyResponse>();

    private Task<int> SqlAsync(FormattableString sql) =>
        app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Database.ExecuteSqlAsync(sql);
        });

    [SkippableFact]
    public async Task A_row_changed_or_removed_behind_the_portals_back_makes_verify_name_it()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        await app.Data.CreateProjectWithTeamAsync();
        var valid = await VerifyAsync();
        Assert.True(valid.Valid, valid.Problem);
        Assert.True(valid.RecordsChecked >= 8);
        Assert.Null(valid.FirstBrokenSequence);

        var records = (await (await app.AdminClient().GetAsync($"/api/v1/audit/events?project={team.Slug}")).ReadOkAsync<PagedResponse<AuditEventResponse>>()).Items;
        var target = records.Single(e => e.Action == "member.added" && e.After!.Contains(team.Viewer.Email, StringComparison.Ordinal));

        // Promote the viewer to admin in the record, as someone with database access might to cover their tracks.
        var original = target.After!;
        var forged = original.Replace("\"Viewer\"", "\"Admin\"", StringComparison.Ordinal);
        Assert.NotEqual(original, forged);
        Assert.Equal(1, await SqlAsync($"UPDATE \"AuditEvents\" SET \"AfterJson\" = {forged} WHERE \"Id\" = {target.Id}"));
        var broken = await VerifyAsync();
        Assert.False(broken.Valid);
        Assert.Equal(target.Sequence, broken.FirstBrokenSequence);
        Assert.Equal(target.Id, broken.FirstBrokenId);
        Assert.Contains("changed", broken.Problem, StringComparison.Ordinal);
        Assert.Equal(target.Sequence - 1, broken.RecordsChecked);

        // Recomputing the row's own hash does not help: the next record's link no longer matches.
        Assert.Equal(1, await SqlAsync($"UPDATE \"AuditEvents\" SET \"AfterJson\" = {original} WHERE \"Id\" = {target.Id}"));
        Assert.True((await VerifyAsync()).Valid);

        // Removing the newest record is caught by the chain head, which still counts it.
        await app.Data.CreateProjectAsync(team.Admin);
        var newest = (await (await app.AdminClient().GetAsync("/api/v1/audit/events?limit=1")).ReadOkAsync<PagedResponse<AuditEventResponse>>()).Items[0];
        Assert.Equal(1, await SqlAsync($"DELETE FROM \"AuditEvents\" WHERE \"Id\" = {newest.Id}"));
        var truncated = await VerifyAsync();
        Assert.False(truncated.Valid);
        Assert.Equal(newest.Sequence, truncated.FirstBrokenSequence);

        // A record removed from the middle is named by its sequence number, before the end is even reached.
        var removed = records.Single(e => e.Action == "project.created");
        Assert.Equal(1, await SqlAsync($"DELETE FROM \"AuditEvents\" WHERE \"Id\" = {removed.Id}"));
        var gap = await VerifyAsync();
        Assert.False(gap.Valid);
        Assert.Equal(removed.Sequence, gap.FirstBrokenSequence);
        Assert.Contains("missing", gap.Problem, StringComparison.Ordinal);
    }
}

public sealed class AuditVerifyTests_Sqlite(SqliteApp app) : AuditVerifyTests(app), IClassFixture<SqliteApp>;

public sealed class AuditVerifyTests_Postgres(PostgresApp app) : AuditVerifyTests(app), IClassFixture<PostgresApp>;
