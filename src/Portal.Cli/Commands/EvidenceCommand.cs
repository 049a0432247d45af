using System.CommandLine;
using System.Globalization;
using Portal.Client.Evidence;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

/// <summary><c>portal evidence export|verify</c>: signed evidence packs, and checking them offline.</summary>
internal static class EvidenceCommand
{
    public static Command Create(CliContext cli) =>
        new("evidence", "Export a signed evidence pack for a version and verify packs offline.") { Export(cli), Verify(cli) };

    private static Command Export(CliContext cli)
    {
        var spec = new Argument<string>("version") { Description = "artifact:vN (or artifact:alias for where the alias points now), e.g. index:v3 or index:production." };
        var at = new Option<string>("--at") { Description = "Export what the alias pointed at at this time (ISO 8601, e.g. 2026-03-03T14:00Z; without an offset it is UTC)." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the zip (default: evidence-<artifact>-<version>.zip)." };
        var project = CommonOptions.Project();
        var command = new Command("export", "Download a signed evidence pack: lineage, checks, approvals, alias history, audit records and manifests.") { spec, at, output, project };
        command.SetAction(async (parse, ct) =>
        {
            var slug = cli.Project(parse.GetValue(project));
            var text = parse.GetRequiredValue(spec);
            var (name, reference) = ArtifactPromoteCommand.Split(text, "artifact:version");
            DateTimeOffset? moment = null;
            if (parse.GetValue(at) is { } atText)
            {
                if (!DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var parsed))
                    throw CliException.Usage($"\"{atText}\" is not a time; use ISO 8601 such as 2026-03-03T14:00Z.");
                moment = parsed;
            }
            var file = Path.GetFullPath(parse.GetValue(output) ?? $"evidence-{name}-{reference}.zip", cli.WorkingDirectory);
            using var client = cli.CreateClient();
            // With --at the reference is an alias; without it, a version, alias or id resolved now.
            await client.ExportEvidenceToFileAsync(slug, file, moment is null ? text : null, moment is null ? null : text, moment, ct);
            cli.Stdout.WriteLine($"wrote {file} ({new FileInfo(file).Length.ToString("N0", CultureInfo.InvariantCulture)} bytes)");
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command Verify(CliContext cli)
    {
        var pack = new Argument<string>("pack") { Description = "The evidence pack (zip)." };
        var key = new Option<string>("--public-key") { Description = "The portal's public keys: its /.well-known/portal-evidence-keys.json URL, or a file (that JSON, a PEM public key or base64 SPKI). Without it the key inside the pack is used." };
        var json = CommonOptions.Json();
        var command = new Command("verify", "Check a pack offline: signature, checksums, audit hashes and links, manifests, approvals; one line per claim, exit 1 when any fails.") { pack, key, json };
        command.SetAction(async (parse, ct) =>
        {
            var file = Path.GetFullPath(parse.GetRequiredValue(pack), cli.WorkingDirectory);
            if (!File.Exists(file))
                throw CliException.Usage($"no file {file}.");
            IReadOnlyList<EvidenceKeyResponse>? keys = null;
            if (parse.GetValue(key) is { } source)
                keys = await ReadKeysAsync(cli, source, ct);
            var verdict = await EvidenceVerifier.VerifyFileAsync(file, keys, ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(verdict);
            }
            else
            {
                foreach (var claim in verdict.Claims)
                    cli.Stdout.WriteLine($"{(claim.Passed ? "ok  " : "FAIL")} {claim.Name}: {claim.Detail}");
                cli.Stdout.WriteLine(verdict.Passed ? "verdict: every claim holds" : $"verdict: {verdict.Claims.Count(c => !c.Passed)} claims fail");
            }
            return verdict.Passed ? PortalCli.ExitSuccess : PortalCli.ExitFailure;
        });
        return command;
    }

    private static async Task<IReadOnlyList<EvidenceKeyResponse>> ReadKeysAsync(CliContext cli, string source, CancellationToken ct)
    {
        string text;
        if (Uri.TryCreate(source, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                text = await http.GetStringAsync(url, ct);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot read the public keys from {url}: {e.Message}");
            }
        }
        else
        {
            var path = Path.GetFullPath(source, cli.WorkingDirectory);
            if (!File.Exists(path))
                throw CliException.Usage($"--public-key: no file {path} (give a file or an http(s) URL).");
            text = await File.ReadAllTextAsync(path, ct);
        }
        try
        {
            return EvidenceVerifier.ParsePublicKeys(text);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or System.Text.Json.JsonException or System.Security.Cryptography.CryptographicException)
        {
            throw CliException.Usage($"--public-key: not a public key or key list: {e.Message}");
        }
    }
}
