using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class AuditCommandTests(CliApp app)
{
    private Task<int> SqlAsync(FormattableString sql) =>
        app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Database.ExecuteSqlAsync(sql);
        });

    [Fact]
    public async Task Audit_verify_passes_on_an_intact_chain_and_names_a_tampered_record()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var admin = new CliSession(app, PortalApp.AdminToken);

        var ok = await admin.OkAsync("audit", "verify");
        Assert.Matches(@"^audit chain intact: \d+ records verified", ok);

        var records = await app.Sdk(PortalApp.AdminToken).ListAuditEventsAsync(project: team.Slug, action: "member.added");
        var target = records.Items[0];
        Assert.Equal(1, await SqlAsync($"UPDATE \"AuditEvents\" SET \"TargetId\" = {"someone-else"} WHERE \"Id\" = {target.Id}"));
        try
        {
            var broken = await admin.RunAsync("audit", "verify");
            Assert.Equal(1, broken.Exit);
            Assert.Contains($"error: audit chain broken at record {target.Sequence}:", broken.Stderr);

            var json = await admin.RunAsync("audit", "verify", "--json");
            Assert.Equal(1, json.Exit);
            Assert.Contains($"\"firstBrokenSequence\": {target.Sequence}", json.Stdout);
        }
        finally
        {
            await SqlAsync($"UPDATE \"AuditEvents\" SET \"TargetId\" = {target.TargetId} WHERE \"Id\" = {target.Id}");
        }

        Assert.Matches(@"^audit chain intact", await admin.OkAsync("audit", "verify"));
    }

    [Fact]
    public async Task Audit_ls_shows_a_project_to_its_admin_and_verify_is_for_site_admins()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var projectAdmin = new CliSession(app, team.Admin.Token);

        var ls = await projectAdmin.OkAsync("audit", "ls", "-p", team.Slug, "--action", "member.");
        Assert.Equal(3, ls.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("member.added", StringComparison.Ordinal)));
        Assert.Contains(team.Viewer.Id, ls);

        var verify = await projectAdmin.RunAsync("audit", "verify");
        Assert.Equal(1, verify.Exit);
        Assert.Contains("(forbidden)", verify.Stderr);

        using var contributor = new CliSession(app, team.Contributor.Token);
        var refused = await contributor.RunAsync("audit", "ls", "-p", team.Slug);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("(forbidden)", refused.Stderr);
    }
}
