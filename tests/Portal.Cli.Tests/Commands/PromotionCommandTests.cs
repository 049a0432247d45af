using System.Globalization;
using System.Text.Json;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class PromotionCommandTests(CliApp app)
{
    private static async Task<string> MomentAsync()
    {
        // Alias events are ordered by time; a visible gap keeps "at T" unambiguous.
        await Task.Delay(30);
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await Task.Delay(30);
        return now;
    }

    [Fact]
    public async Task Promote_needs_a_second_person_to_approve_then_rollback_and_alias_at_time_follow_the_moves()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var contributor = new CliSession(app, team.Contributor.Token);
        using var reviewer = new CliSession(app, team.Reviewer.Token);
        contributor.Write("data/a.txt", "first\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset");
        await contributor.OkAsync("artifact", "alias", "set", "ds:v0", "production", "-p", team.Slug);
        var atV0 = await MomentAsync();
        contributor.Write("data/b.txt", "second\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("data"), "-p", team.Slug, "-n", "ds", "-t", "dataset", "--alias", "staging");
        using (var admin = app.Sdk(team.Admin.Token))
            await admin.SetPromotionPolicyAsync(team.Slug, "production", new PromotionPolicyRequest(RequiredApprovals: 1, RequiredSourceAlias: "staging"));

        var refused = await contributor.RunAsync("artifact", "alias", "set", "ds:v1", "production", "-p", team.Slug);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("portal artifact promote", refused.Stderr);
        Assert.EndsWith("(alias_protected)", refused.Stderr.Trim());

        var promoted = await contributor.OkAsync("artifact", "promote", "ds:v1", "--to", "production", "-m", "adds b.txt", "-p", team.Slug);
        Assert.StartsWith("requested ds:production -> v1 (", promoted);
        var id = promoted.Trim()[^37..^1];

        var queue = await reviewer.OkAsync("promotion", "ls");
        Assert.Contains(id, queue);
        Assert.Contains("ds:production v0 -> v1", queue);
        Assert.Contains("0/1", queue);
        var self = await contributor.RunAsync("promotion", "approve", id, "-p", team.Slug);
        Assert.Equal(1, self.Exit);
        Assert.Contains("(promotion_self_approval)", self.Stderr);

        var show = await reviewer.OkAsync("promotion", "show", id, "-p", team.Slug);
        Assert.Contains("promotion ds:production v0 -> v1   [open]", show);
        Assert.Contains("approvals: 0 of 1 (Reviewer or above)", show);
        Assert.Contains("[ok] source_alias", show);
        Assert.Contains("diff against v0: 1 added, 0 removed, 0 modified, 0 renamed", show);
        Assert.Contains("comment: adds b.txt", show);
        var rejectWithoutReason = await reviewer.RunAsync("promotion", "reject", id, "-p", team.Slug);
        Assert.Equal(2, rejectWithoutReason.Exit);

        var approved = await reviewer.OkAsync("promotion", "approve", id, "-p", team.Slug, "--message", "checked the diff");
        Assert.Contains("v0 -> v1: applied (1/1 approvals)", approved);
        var atV1 = await MomentAsync();
        Assert.Contains("ds:production at ", await contributor.OkAsync("artifact", "alias", "at", "ds:production", "--time", atV1, "-p", team.Slug));
        Assert.Contains("-> v1 (", await contributor.OkAsync("artifact", "alias", "at", "ds:production", "--time", atV1, "-p", team.Slug));

        var rollback = await contributor.OkAsync("promotion", "rollback", "ds:production", "-m", "b.txt is wrong", "-p", team.Slug, "--json");
        string rollbackId;
        using (var doc = JsonDocument.Parse(rollback))
        {
            Assert.Equal(("rollback", "v0", "open"), (doc.RootElement.GetProperty("kind").GetString(), doc.RootElement.GetProperty("version").GetString(), doc.RootElement.GetProperty("state").GetString()));
            rollbackId = doc.RootElement.GetProperty("id").GetString()!;
        }
        await reviewer.OkAsync("promotion", "approve", rollbackId, "-p", team.Slug);
        var atRolledBack = await MomentAsync();

        foreach (var (time, expected) in new[] { (atV0, "v0"), (atV1, "v1"), (atRolledBack, "v0") })
        {
            var json = await contributor.OkAsync("artifact", "alias", "at", "ds:production", "--time", time, "-p", team.Slug, "--json");
            using var doc = JsonDocument.Parse(json);
            Assert.Equal(expected, doc.RootElement.GetProperty("version").GetString());
        }
        var badTime = await contributor.RunAsync("artifact", "alias", "at", "ds:production", "--time", "yesterday", "-p", team.Slug);
        Assert.Equal(2, badTime.Exit);

        var mine = await contributor.OkAsync("promotion", "ls", "--mine", "--json");
        using (var doc = JsonDocument.Parse(mine))
            Assert.Equal(["applied", "applied"], doc.RootElement.EnumerateArray().Select(r => r.GetProperty("state").GetString()));
        Assert.DoesNotContain(id, await reviewer.OkAsync("promotion", "ls"));
        Assert.Contains(id, await reviewer.OkAsync("promotion", "ls", "--all", "-p", team.Slug, "--state", "applied"));
    }
}
