using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Evidence;
using Portal.Core.Data;
using Portal.Core.Features.Lineage;
using Portal.Web.Tests.Features.Artifacts;

namespace Portal.Web.Tests.Features.Evidence;

/// <summary>
/// Evidence packs over HTTP: a pack for "alias at time" verifies offline with the portal's published key, a Viewer's
/// pack redacts upstream nodes of a project they cannot read, and each tampering (an audit record, an approval, a
/// manifest line, the signature, the key) is named by the verifier.
/// </summary>
public abstract class EvidenceApiTests(PortalApp app)
{
    private sealed record Scene(TestProject Team, string SecretSlug, Guid SecretVersionId, Guid CorpusV0, PromotionResponse Promotion);

    private async Task<Scene> SetUpAsync()
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        // An upstream project the team's Viewer is not a member of.
        var secret = await app.Data.CreateProjectAsync(team.Admin, TestData.UniqueSlug("secret"));
        using var admin = new PortalClient(app.ClientWithToken(team.Admin.Token));
        using var contributor = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        using var reviewer = new PortalClient(app.ClientWithToken(team.Reviewer.Token));
        var source = await PublishAsync(admin, secret.Slug, "hidden-source", null, 3);

        var raw = await PublishAsync(contributor, team.Slug, "raw", null, 5);
        var run = await contributor.CreateRunAsync(team.Slug, new CreateRunRequest("data_processing", "prep <b>chunking</b>",
            JsonSerializer.SerializeToElement(new { chunkSize = 512 }), "0123456789abcdef0123456789abcdef01234567", "https://git.example/corpus", "worker-1"));
        await contributor.UseVersionAsync(team.Slug, run.Id, raw);
        await app.WithServicesAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            db.LineageEdges.Add(new LineageEdge { ProjectId = team.Project.Id, RunId = run.Id, VersionId = source, Direction = LineageDirection.Used, CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var corpus = await PublishAsync(contributor, team.Slug, "corpus", run.Id, 40);

        await admin.SetPromotionPolicyAsync(team.Slug, "production", new PromotionPolicyRequest(RequiredApprovals: 1));
        var requested = await contributor.RequestPromotionAsync(team.Slug, "corpus", new CreatePromotionRequest("v0", "production", "ship it"));
        var approved = await reviewer.ApprovePromotionAsync(team.Slug, requested.Id, "looks right");
        return new Scene(team, secret.Slug, source, corpus, approved);
    }

    private static async Task<Guid> PublishAsync(PortalClient client, string slug, string artifact, Guid? runId, int files)
    {
        var entries = Enumerable.Range(0, files).Select(i => ArtifactUploads.Reference($"part-{i:D3}.txt", artifact)).ToList();
        var created = await client.CreateVersionAsync(slug, artifact, new CreateVersionRequest("dataset", RunId: runId, Entries: entries));
        await client.CommitVersionAsync(slug, artifact, created.VersionId!.Value);
        return created.VersionId!.Value;
    }

    private static async Task<byte[]> ExportAsync(PortalClient client, string slug, string? version = null, string? alias = null, DateTimeOffset? at = null)
    {
        using var buffer = new MemoryStream();
        await client.ExportEvidenceAsync(slug, buffer, version, alias, at);
        return buffer.ToArray();
    }

    private async Task<IReadOnlyList<EvidenceKeyResponse>> PublishedKeysAsync()
    {
        var response = await app.AnonymousClient().GetAsync("/.well-known/portal-evidence-keys.json");
        return (await response.ReadOkAsync<EvidenceKeysResponse>()).Keys;
    }

    private static async Task<EvidenceVerdict> VerifyAsync(byte[] pack, IReadOnlyList<EvidenceKeyResponse>? keys)
    {
        using var stream = new MemoryStream(pack);
        return await EvidenceVerifier.VerifyAsync(stream, keys);
    }

    private static Dictionary<string, string> Files(byte[] pack)
    {
        using var zip = new ZipArchive(new MemoryStream(pack), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var reader = new StreamReader(e.Open());
            return reader.ReadToEnd();
        });
    }

    /// <summary>The pack with one file changed; with <paramref name="fixChecksums"/> the checksum list is made to match, as a forger would.</summary>
    private static byte[] Tamper(byte[] pack, string file, Func<string, string> change, bool fixChecksums = true)
    {
        var files = Files(pack);
        files[file] = change(files[file]);
        if (fixChecksums)
        {
            files[EvidencePackFiles.Checksums] = string.Concat(files.Keys
                .Where(k => k is not EvidencePackFiles.Checksums and not EvidencePackFiles.Signature)
                .Order(StringComparer.Ordinal)
                .Select(k => $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(files[k])))}  {k}\n"));
        }
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
                writer.Write(text);
            }
        }
        return output.ToArray();
    }

    private static EvidenceClaim Failed(EvidenceVerdict verdict, string name)
    {
        Assert.False(verdict.Passed);
        var claim = Assert.Single(verdict.Claims, c => c.Name == name);
        Assert.False(claim.Passed, $"{name} should fail: {claim.Detail}");
        return claim;
    }

    [SkippableFact]
    public async Task An_alias_at_time_pack_verifies_with_the_published_key_and_holds_lineage_checks_approvals_and_history()
    {
        app.SkipIfUnavailable();
        var scene = await SetUpAsync();
        using var admin = new PortalClient(app.ClientWithToken(scene.Team.Admin.Token));
        var pack = await ExportAsync(admin, scene.Team.Slug, alias: "corpus:production", at: DateTimeOffset.UtcNow.AddMinutes(1));

        var verdict = await VerifyAsync(pack, await PublishedKeysAsync());
        Assert.True(verdict.Passed, string.Join("\n", verdict.Claims.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));
        Assert.Contains(verdict.Claims, c => c.Name == "manifest:corpus:v0" && c.Detail.StartsWith("40 files", StringComparison.Ordinal));
        Assert.Contains(verdict.Claims, c => c.Name == "manifest:hidden-source:v0");

        var files = Files(pack);
        var evidence = JsonSerializer.Deserialize<EvidenceDocument>(files[EvidencePackFiles.Evidence], new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(("corpus", "v0", "production"), (evidence.Subject.Artifact, evidence.Subject.Version, evidence.Subject.Alias));
        Assert.Equal(["corpus", "hidden-source", "raw"], evidence.Versions.Select(v => v.Artifact).Order(StringComparer.Ordinal));
        var run = Assert.Single(evidence.Runs);
        Assert.Equal(("data_processing", "worker-1", 512), (run.JobType, run.Host, run.Config!.Value.GetProperty("chunkSize").GetInt32()));
        Assert.Equal(3, evidence.Edges.Count);
        var promotion = Assert.Single(evidence.Promotions);
        Assert.Equal(("applied", "looks right"), (promotion.State, Assert.Single(promotion.Approvals).Comment));
        Assert.Equal(scene.Team.Reviewer.Id, promotion.Approvals[0].UserId);
        Assert.Contains(evidence.AliasHistory, m => m.Alias == "production" && m.ToVersion == "v0" && m.PromotionRequestId == promotion.Id);
        Assert.Equal(scene.CorpusV0, evidence.Subject.VersionId);

        var audit = JsonSerializer.Deserialize<EvidenceAuditFile>(files[EvidencePackFiles.Audit], new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Contains(audit.Records, r => r.Action == "promotion.approved" && r.TargetId == promotion.Id.ToString());
        Assert.Contains(audit.Records, r => r.Action == "artifact_version.committed" && r.TargetId == scene.CorpusV0.ToString());
        Assert.All(audit.Records, r => Assert.True(r.Sequence <= audit.ChainHead.Sequence));

        // The PDF is made wherever PDFsharp finds a font (Debian's DejaVu or Liberation fonts).
        if (File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
            Assert.StartsWith("%PDF-", files[EvidencePackFiles.Pdf], StringComparison.Ordinal);

        var html = files[EvidencePackFiles.Html];
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("prep &lt;b&gt;chunking&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>chunking", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("Summary", StringComparison.Ordinal) < html.IndexOf("Lineage", StringComparison.Ordinal));

        // The export itself is an audit event.
        var exported = await admin.ListAuditEventsAsync(scene.Team.Slug, action: "evidence.exported");
        Assert.Contains(exported.Items, e => e.TargetId == scene.CorpusV0.ToString());
    }

    [SkippableFact]
    public async Task A_viewer_pack_redacts_upstream_nodes_they_cannot_read_and_outsiders_are_refused()
    {
        app.SkipIfUnavailable();
        var scene = await SetUpAsync();
        using var viewer = new PortalClient(app.ClientWithToken(scene.Team.Viewer.Token));
        var pack = await ExportAsync(viewer, scene.Team.Slug, version: "corpus:v0");
        var verdict = await VerifyAsync(pack, await PublishedKeysAsync());
        Assert.True(verdict.Passed, string.Join("\n", verdict.Claims.Select(c => $"{c.Name}: {c.Passed} {c.Detail}")));

        var files = Files(pack);
        var evidence = JsonNode.Parse(files[EvidencePackFiles.Evidence])!;
        var hidden = evidence["versions"]!.AsArray().Single(v => v!["id"]!.GetValue<Guid>() == scene.SecretVersionId)!;
        Assert.True(hidden["redacted"]!.GetValue<bool>());
        Assert.Equal("no access", hidden["reason"]!.GetValue<string>());
        Assert.Null(hidden["artifact"]);
        foreach (var text in files.Values)
        {
            Assert.DoesNotContain("hidden-source", text, StringComparison.Ordinal);
            Assert.DoesNotContain(scene.SecretSlug, text, StringComparison.Ordinal);
        }
        Assert.False(files.ContainsKey(EvidencePackFiles.Manifest(scene.SecretVersionId)));
        Assert.Contains("redacted", files[EvidencePackFiles.Html], StringComparison.Ordinal);

        var outsider = await app.Data.CreateUserAsync();
        var refused = await app.ClientWithToken(outsider.Token).GetAsync($"/api/v1/projects/{scene.Team.Slug}/evidence?version=corpus:v0");
        await refused.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        var both = await app.ClientWithToken(scene.Team.Viewer.Token).GetAsync($"/api/v1/projects/{scene.Team.Slug}/evidence?version=corpus:v0&alias=corpus:production");
        await both.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var never = await app.ClientWithToken(scene.Team.Viewer.Token).GetAsync($"/api/v1/projects/{scene.Team.Slug}/evidence?alias=corpus:production&at=2001-01-01T00:00Z");
        await never.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.AliasNotFound);
    }

    [SkippableFact]
    public async Task Each_tampering_is_named_by_the_verifier()
    {
        app.SkipIfUnavailable();
        var scene = await SetUpAsync();
        using var admin = new PortalClient(app.ClientWithToken(scene.Team.Admin.Token));
        var pack = await ExportAsync(admin, scene.Team.Slug, version: "corpus:production");
        var keys = await PublishedKeysAsync();
        Assert.True((await VerifyAsync(pack, keys)).Passed);

        // A changed audit record: its hash no longer matches.
        var audit = Failed(await VerifyAsync(Tamper(pack, EvidencePackFiles.Audit, text => text.Replace("\"promotion.approved\"", "\"promotion.rejected\"", StringComparison.Ordinal)), keys), "audit.records");
        Assert.Contains("promotion.rejected", audit.Detail, StringComparison.Ordinal);

        // A removed approval: the audit log records one the pack no longer lists.
        var withoutApproval = Tamper(pack, EvidencePackFiles.Evidence, text =>
        {
            var node = JsonNode.Parse(text)!;
            node["promotions"]![0]!["approvals"] = new JsonArray();
            return node.ToJsonString();
        });
        var verdict = await VerifyAsync(withoutApproval, keys);
        Assert.Contains(scene.Promotion.Id.ToString(), Failed(verdict, "approvals").Detail, StringComparison.Ordinal);
        Failed(verdict, "signature");

        // An edited manifest line.
        var manifest = EvidencePackFiles.Manifest(scene.CorpusV0);
        var edited = Failed(await VerifyAsync(Tamper(pack, manifest, text => text.Replace("part-007.txt", "part-007.TXT", StringComparison.Ordinal)), keys), "manifest:corpus:v0");
        Assert.Contains(manifest, edited.Detail, StringComparison.Ordinal);
        // ... without fixing the checksums, the checksum list names the file as well.
        Assert.Contains(manifest + " was changed", Failed(await VerifyAsync(Tamper(pack, manifest, text => text + "\n", fixChecksums: false), keys), "checksums").Detail, StringComparison.Ordinal);

        // A swapped signature: the signature of another pack.
        var other = await ExportAsync(admin, scene.Team.Slug, version: "raw:v0");
        var otherSignature = JsonNode.Parse(Files(other)[EvidencePackFiles.Signature])!;
        var swapped = Tamper(pack, EvidencePackFiles.Signature, text =>
        {
            var node = JsonNode.Parse(text)!;
            node["signature"] = otherSignature["signature"]!.GetValue<string>();
            return node.ToJsonString();
        }, fixChecksums: false);
        Assert.Contains("does not verify", Failed(await VerifyAsync(swapped, keys), "signature").Detail, StringComparison.Ordinal);

        // A wrong key: the pack verifies only with the embedded key, not with another portal's.
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var strangerKeys = EvidenceVerifier.ParsePublicKeys(stranger.ExportSubjectPublicKeyInfoPem());
        Assert.Contains("not among the given public keys", Failed(await VerifyAsync(pack, strangerKeys), "signature").Detail, StringComparison.Ordinal);
        Assert.True((await VerifyAsync(pack, null)).Passed);
    }

    [SkippableFact]
    public async Task Any_changed_byte_in_any_signed_file_of_a_pack_fails_verification()
    {
        app.SkipIfUnavailable();
        var scene = await SetUpAsync();
        using var viewer = new PortalClient(app.ClientWithToken(scene.Team.Viewer.Token));
        var pack = await ExportAsync(viewer, scene.Team.Slug, version: "corpus:v0");
        var keys = await PublishedKeysAsync();
        Dictionary<string, byte[]> files;
        using (var zip = new ZipArchive(new MemoryStream(pack), ZipArchiveMode.Read))
        {
            files = zip.Entries.ToDictionary(e => e.FullName, e =>
            {
                using var buffer = new MemoryStream();
                using (var stream = e.Open())
                    stream.CopyTo(buffer);
                return buffer.ToArray();
            });
        }
        // signature.json is not signed itself: its whitespace and its informative fields (signedAt) may change freely.
        var names = files.Keys.Where(n => n != EvidencePackFiles.Signature).Order(StringComparer.Ordinal).ToArray();
        var cases = CsCheck.Gen.Select(CsCheck.Gen.Int[0, names.Length - 1], CsCheck.Gen.Double[0, 1], CsCheck.Gen.Byte[1, 255]);
        await SeededProperty.CheckAsync(cases, 60, async c =>
        {
            var (fileIndex, position, flip) = c;
            var name = names[fileIndex];
            var changed = files.ToDictionary(f => f.Key, f => f.Value.ToArray());
            var offset = Math.Min((int)(position * changed[name].Length), changed[name].Length - 1);
            changed[name][offset] ^= flip;
            using var output = new MemoryStream();
            using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var (file, bytes) in changed)
                {
                    using var entry = zip.CreateEntry(file).Open();
                    entry.Write(bytes);
                }
            }
            var verdict = await VerifyAsync(output.ToArray(), keys);
            Assert.False(verdict.Passed, $"byte {offset} of {name} changed (xor {flip}) and the pack still verifies");
        }, shrink: false);
    }

    [SkippableFact]
    public async Task Rotation_keeps_old_public_keys_so_older_packs_still_verify()
    {
        app.SkipIfUnavailable();
        var scene = await SetUpAsync();
        using var viewer = new PortalClient(app.ClientWithToken(scene.Team.Viewer.Token));
        var before = await ExportAsync(viewer, scene.Team.Slug, version: "corpus:v0");
        var oldKey = JsonNode.Parse(Files(before)[EvidencePackFiles.Signature])!["keyId"]!.GetValue<string>();

        using var siteAdmin = new PortalClient(app.AdminClient());
        var rotated = await siteAdmin.RotateEvidenceKeyAsync();
        Assert.NotEqual(oldKey, rotated.KeyId);
        var error = await Assert.ThrowsAsync<PortalApiException>(() => viewer.RotateEvidenceKeyAsync());
        Assert.Equal(ErrorCodes.Forbidden, error.Code);

        var after = await ExportAsync(viewer, scene.Team.Slug, version: "corpus:v0");
        Assert.Equal(rotated.KeyId, JsonNode.Parse(Files(after)[EvidencePackFiles.Signature])!["keyId"]!.GetValue<string>());
        var keys = await PublishedKeysAsync();
        Assert.NotNull(Assert.Single(keys, k => k.KeyId == oldKey).RetiredAt);
        Assert.True((await VerifyAsync(before, keys)).Passed);
        Assert.True((await VerifyAsync(after, keys)).Passed);
        Assert.Equal(keys.Select(k => k.KeyId), (await viewer.GetEvidenceKeysAsync()).Keys.Select(k => k.KeyId));
    }
}

public sealed class EvidenceApiTests_Sqlite(SqliteApp app) : EvidenceApiTests(app), IClassFixture<SqliteApp>;

public sealed class EvidenceApiTests_Postgres(PostgresApp app) : EvidenceApiTests(app), IClassFixture<PostgresApp>;

public sealed class EvidenceApiTests_SqlServer(SqlServerApp app) : EvidenceApiTests(app), IClassFixture<SqlServerApp>;
