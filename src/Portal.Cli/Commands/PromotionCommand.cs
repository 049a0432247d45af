using System.CommandLine;
using System.Globalization;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal promotion ls|show|approve|reject|rollback|reconfirm|review</c>: the approval workflow from a terminal.</summary>
internal static class PromotionCommand
{
    public static Command Create(CliContext cli) =>
        new("promotion", "Promotion requests: list what waits for you, show, approve, reject, roll back.")
        {
            List(cli), Show(cli), Approve(cli), Reject(cli), Rollback(cli), Reconfirm(cli), Review(cli),
        };

    private static Command List(CliContext cli)
    {
        var mine = new Option<bool>("--mine") { Description = "Your own requests instead of those waiting for your review." };
        var all = new Option<bool>("--all") { Description = "Every request of the project given with -p." };
        var project = new Option<string>("--project", "-p") { Description = "Only this project (required with --all)." };
        var state = new Option<string>("--state") { Description = "pending, open, approved, applied, rejected, cancelled, review or all." };
        var alias = new Option<string>("--alias") { Description = "Only requests for this alias." };
        var json = CommonOptions.Json();
        var command = new Command("ls", "Requests waiting for your review (default), your own (--mine), or a project's (--all -p P).") { mine, all, project, state, alias, json };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(mine) && parse.GetValue(all))
                throw CliException.Usage("use --mine or --all, not both.");
            using var client = cli.CreateClient();
            var requests = parse.GetValue(all)
                ? await client.ListPromotionsAsync(cli.Project(parse.GetValue(project)), parse.GetValue(state), parse.GetValue(alias), ct: ct)
                : await client.PromotionQueueAsync(parse.GetValue(mine) ? "mine" : "awaiting", parse.GetValue(project), parse.GetValue(state), parse.GetValue(alias), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(requests);
                return PortalCli.ExitSuccess;
            }
            var table = new TextTable("ID", "PROJECT", "CHANGE", "STATE", "APPROVALS", "BY", "CREATED");
            foreach (var r in requests)
            {
                table.Add(r.Id.ToString(), r.Project, $"{r.Artifact}:{r.Alias} {r.FromVersion ?? "-"} -> {r.Version}", StateLabel(r),
                    string.Create(CultureInfo.InvariantCulture, $"{r.Approvals.Count}/{r.RequiredApprovals}"), r.RequestedBy,
                    r.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var id = Id();
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("show", "One request: the change, its checks, the diff against the alias's current version, and the discussion.") { id, project, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var detail = await client.GetPromotionAsync(cli.Project(parse.GetValue(project)), parse.GetValue(id), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(detail);
                return PortalCli.ExitSuccess;
            }
            var r = detail.Request;
            var o = cli.Stdout;
            o.WriteLine($"{r.Kind} {r.Artifact}:{r.Alias} {r.FromVersion ?? "-"} -> {r.Version}   [{StateLabel(r)}]");
            o.WriteLine($"requested by {r.RequestedBy} at {r.CreatedAt.ToUniversalTime():yyyy-MM-dd HH:mm}Z; {r.Alias} now points at {r.CurrentVersion ?? "nothing"}");
            if (r.Comment.Length > 0)
                o.WriteLine($"comment: {r.Comment}");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"approvals: {r.Approvals.Count} of {r.RequiredApprovals} ({r.ApproverRole} or above){(r.Approvals.Count > 0 ? ": " + string.Join(", ", r.Approvals.Select(a => a.DisplayName)) : "")}"));
            foreach (var check in detail.Checks)
                o.WriteLine($"  {CheckMark(check.State)} {check.Name}: {check.Summary}");
            if (detail.Diff is { } d)
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"diff against {(r.State is PromotionStates.Open or PromotionStates.Approved ? r.CurrentVersion : r.FromVersion)}: {d.Added} added, {d.Removed} removed, {d.Modified} modified, {d.Renamed} renamed"));
            foreach (var c in detail.Discussion)
                o.WriteLine($"  {c.At.ToUniversalTime():yyyy-MM-dd HH:mm}Z {c.Author} {c.Kind}{(c.Text.Length > 0 ? ": " + c.Text : "")}");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Approve(CliContext cli) => Decide(cli, "approve", "Approve a request (never your own); the last approval needed applies it.", required: false,
        (client, slug, id, comment, ct) => client.ApprovePromotionAsync(slug, id, comment, ct));

    private static Command Reject(CliContext cli) => Decide(cli, "reject", "Reject a request, saying why (-m).", required: true,
        (client, slug, id, comment, ct) => client.RejectPromotionAsync(slug, id, comment!, ct));

    private static Command Reconfirm(CliContext cli) => Decide(cli, "reconfirm", "Re-confirm your stale request against where the alias points now.", required: false,
        (client, slug, id, comment, ct) => client.ReconfirmPromotionAsync(slug, id, comment, ct));

    private static Command Review(CliContext cli) => Decide(cli, "review", "Review an emergency change after the fact (someone other than who made it).", required: false,
        (client, slug, id, comment, ct) => client.ReviewPromotionAsync(slug, id, comment, ct));

    private static Command Decide(CliContext cli, string name, string description, bool required,
        Func<Portal.Client.PortalClient, string, Guid, string?, CancellationToken, Task<PromotionResponse>> act)
    {
        var id = Id();
        var comment = new Option<string>("--message", "-m", "--comment") { Description = required ? "Why (required)." : "Optional comment.", Required = required };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command(name, description) { id, comment, project, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var result = await act(client, cli.Project(parse.GetValue(project)), parse.GetValue(id), parse.GetValue(comment), ct);
            WriteResult(cli, result, parse.GetValue(json));
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Rollback(CliContext cli)
    {
        var spec = new Argument<string>("alias") { Description = "name:alias to roll back, e.g. corpus:production." };
        var comment = new Option<string>("--message", "-m", "--comment") { Description = "Why (required with --emergency)." };
        var emergency = new Option<bool>("--emergency") { Description = "Project admins: move it now; a reviewer checks it afterwards." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("rollback", "Propose the alias's previous version (through its policy), or move it at once with --emergency.") { spec, comment, emergency, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var (name, alias) = ArtifactPromoteCommand.Split(parse.GetRequiredValue(spec), "name:alias");
            using var client = cli.CreateClient();
            var result = await client.RollbackAliasAsync(slug, name, alias, new RollbackRequest(parse.GetValue(comment), parse.GetValue(emergency)), ct);
            WriteResult(cli, result, parse.GetValue(json));
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Argument<Guid> Id() => new("id") { Description = "The request's id (from 'portal promotion ls')." };

    private static void WriteResult(CliContext cli, PromotionResponse r, bool json)
    {
        if (json)
        {
            cli.WriteJson(r);
            return;
        }
        cli.Stdout.WriteLine($"{r.Id} {r.Artifact}:{r.Alias} {r.FromVersion ?? "-"} -> {r.Version}: {StateLabel(r)}"
            + string.Create(CultureInfo.InvariantCulture, $" ({r.Approvals.Count}/{r.RequiredApprovals} approvals)"));
    }

    private static string StateLabel(PromotionResponse r) =>
        r.Stale ? r.State + ", stale" : r.NeedsReview ? r.State + ", needs review" : r.State;

    private static string CheckMark(string state) => state switch
    {
        PromotionCheckStates.Passed => "[ok]",
        PromotionCheckStates.Failed => "[failed]",
        PromotionCheckStates.Pending => "[pending]",
        _ => "[missing]",
    };
}
