using System.CommandLine;
using System.Globalization;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal artifact promote NAME:vN --to ALIAS</c>: asks for a protected alias to move; reviewers approve it.</summary>
internal static class ArtifactPromoteCommand
{
    public static Command Create(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "name:vN (or name:alias, name:digest) to promote." };
        var to = new Option<string>("--to") { Description = "The protected alias to move, e.g. production.", Required = true };
        var comment = new Option<string>("--message", "-m", "--comment") { Description = "Why, for the reviewers." };
        var project = CommonOptions.Project();
        var json = CommonOptions.Json();
        var command = new Command("promote", "Ask for a protected alias (production …) to point at a version; reviewers approve it.") { spec, to, comment, project, json };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var (name, version) = Split(parse.GetRequiredValue(spec), "name:vN");
            using var client = cli.CreateClient();
            var request = await client.RequestPromotionAsync(slug, name, new CreatePromotionRequest(version, parse.GetRequiredValue(to), parse.GetValue(comment)), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(request);
                return PortalCli.ExitSuccess;
            }
            cli.Stdout.WriteLine($"requested {request.Artifact}:{request.Alias} -> {request.Version} ({request.Id})");
            cli.Info(string.Create(CultureInfo.InvariantCulture,
                $"needs {request.RequiredApprovals} approval(s) from a {request.ApproverRole} or above; follow it with 'portal promotion show {request.Id} -p {slug}'"));
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    /// <summary>Splits <c>name:rest</c>; both parts must be there.</summary>
    internal static (string Name, string Reference) Split(string specification, string shape)
    {
        var colon = specification.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == specification.Length - 1)
            throw CliException.Usage($"\"{specification}\": give it as {shape}.");
        return (specification[..colon], specification[(colon + 1)..]);
    }
}
