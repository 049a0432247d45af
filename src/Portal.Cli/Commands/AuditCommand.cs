using System.CommandLine;
using System.Globalization;

namespace Portal.Cli.Commands;

internal static class AuditCommand
{
    public static Command Create(CliContext cli) =>
        new("audit", "Read the audit log and verify its hash chain.") { List(cli), Verify(cli) };

    private static Command List(CliContext cli)
    {
        var project = new Option<string>("--project", "-p") { Description = "Project slug (required unless you are a site admin)." };
        var actor = new Option<string>("--actor") { Description = "Only records by this user (id or e-mail)." };
        var action = new Option<string>("--action") { Description = "Only actions starting with this, e.g. 'webhook.' or 'member.added'." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only records at or after this time (ISO 8601)." };
        var limit = new Option<int>("--limit") { Description = "At most this many records (newest first).", DefaultValueFactory = _ => 50 };
        var json = CommonOptions.Json();
        var command = new Command("ls", "Audit records, newest first.") { project, actor, action, since, limit, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var page = await client.ListAuditEventsAsync(parse.GetValue(project), parse.GetValue(actor), parse.GetValue(action), parse.GetValue(since),
                limit: parse.GetValue(limit), ct: ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(page);
                return PortalCli.ExitSuccess;
            }

            var table = new TextTable("SEQ", "AT", "PROJECT", "ACTOR", "ACTION", "TARGET");
            foreach (var e in page.Items)
            {
                table.Add(e.Sequence.ToString(CultureInfo.InvariantCulture), e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    e.ProjectSlug ?? "-", e.ActorEmail ?? e.ActorId ?? "-", e.Action, $"{e.TargetType}:{e.TargetId}");
            }

            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Verify(CliContext cli)
    {
        var json = CommonOptions.Json();
        var command = new Command("verify", "Recompute the audit hash chain on the server (site admins); exits 1 and names the first broken record when it does not hold.") { json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var result = await client.VerifyAuditChainAsync(ct);
            if (parse.GetValue(json))
                cli.WriteJson(result);
            else if (result.Valid)
                cli.Stdout.WriteLine($"audit chain intact: {result.RecordsChecked.ToString(CultureInfo.InvariantCulture)} records verified");
            if (result.Valid)
                return PortalCli.ExitSuccess;
            cli.Stderr.WriteLine($"error: audit chain broken at record {result.FirstBrokenSequence?.ToString(CultureInfo.InvariantCulture)}: {result.Problem}");
            return PortalCli.ExitFailure;
        });
        return command;
    }
}
