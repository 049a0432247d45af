using System.IO.Compression;
using System.Security.Cryptography;

namespace Portal.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class EvidenceCommandTests(CliApp app)
{
    [Fact]
    public async Task Evidence_export_at_a_time_verifies_with_the_published_key_and_verify_names_an_edited_manifest_and_a_wrong_key()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var contributor = new CliSession(app, team.Contributor.Token);
        contributor.Write("corpus/a.txt", "alpha\n");
        contributor.Write("corpus/b.txt", "beta\n");
        await contributor.OkAsync("artifact", "put", contributor.PathTo("corpus"), "-p", team.Slug, "-n", "corpus", "-t", "documents", "--alias", "production");

        var exported = await contributor.OkAsync("evidence", "export", "corpus:production", "--at", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"),
            "-o", "pack.zip", "-p", team.Slug);
        Assert.Contains("wrote ", exported);
        var pack = contributor.PathTo("pack.zip");
        Assert.True(File.Exists(pack));

        // Offline: no token, the key from the portal's well-known URL.
        using var auditor = new CliSession(app, null);
        File.Copy(pack, auditor.PathTo("pack.zip"));
        var verified = await auditor.OkAsync("evidence", "verify", "pack.zip", "--public-key", app.BaseUrl + "/.well-known/portal-evidence-keys.json");
        Assert.Contains("ok   signature: Signed by key", verified);
        Assert.Contains("ok   manifest:corpus:v0: 2 files", verified);
        Assert.Contains("ok   audit.records:", verified);
        Assert.EndsWith("verdict: every claim holds", verified.TrimEnd());

        // An edited manifest line.
        using (var zip = ZipFile.Open(auditor.PathTo("pack.zip"), ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.StartsWith("manifests/", StringComparison.Ordinal));
            string text;
            using (var reader = new StreamReader(entry.Open()))
                text = await reader.ReadToEndAsync();
            var name = entry.FullName;
            entry.Delete();
            await using var writer = new StreamWriter(zip.CreateEntry(name).Open());
            await writer.WriteAsync(text.Replace("a.txt", "z.txt", StringComparison.Ordinal));
        }
        var tampered = await auditor.RunAsync("evidence", "verify", "pack.zip");
        Assert.Equal(1, tampered.Exit);
        Assert.Contains("FAIL checksums: manifests/", tampered.Stdout);
        Assert.Contains("FAIL manifest:corpus:v0:", tampered.Stdout);
        Assert.Contains("ok   signature", tampered.Stdout);

        // The right pack, a wrong key.
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = auditor.Write("stranger.pem", stranger.ExportSubjectPublicKeyInfoPem());
        var wrongKey = await auditor.RunAsync("evidence", "verify", pack, "--public-key", keyFile);
        Assert.Equal(1, wrongKey.Exit);
        Assert.Contains("FAIL signature: The pack was signed with key", wrongKey.Stdout);

        var missing = await auditor.RunAsync("evidence", "verify", "nothing.zip");
        Assert.Equal(2, missing.Exit);
    }
}
