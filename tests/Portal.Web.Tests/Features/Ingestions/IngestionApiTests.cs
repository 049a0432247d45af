using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Ingestions;

namespace Portal.Web.Tests.Features.Ingestions;

/// <summary>The portal with file references allowed under a test folder, plain http and loopback allowed (the local object server), and small zip limits.</summary>
public abstract class IngestionApp(DatabaseProvider provider) : PortalApp(provider)
{
    public const int MaxZipEntries = 20;
    public const long MaxZipExpandedBytes = 1024 * 1024;

    public string Work { get; } = Path.Combine(Path.GetTempPath(), "portal-tests", "ingest-" + Guid.NewGuid().ToString("N")[..12]);

    public string AllowedRoot => Path.Combine(Work, "allowed");

    public string OutsideRoot => Path.Combine(Work, "outside");

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            Directory.CreateDirectory(AllowedRoot);
            Directory.CreateDirectory(OutsideRoot);
            return new Dictionary<string, string?>
            {
                ["Ingestion:AllowedFileRoots:0"] = AllowedRoot,
                ["Ingestion:AllowHttp"] = "true",
                ["Ingestion:AllowPrivateAddresses"] = "true",
                ["Ingestion:MaxZipEntries"] = MaxZipEntries.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Ingestion:MaxZipExpandedBytes"] = MaxZipExpandedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            if (Directory.Exists(Work))
                Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
        GC.SuppressFinalize(this);
    }
}

public sealed class IngestionSqliteApp() : IngestionApp(DatabaseProvider.Sqlite);

public sealed class IngestionPostgresApp() : IngestionApp(DatabaseProvider.Postgres);

public abstract class IngestionApiTests(IngestionApp app)
{
    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static string Sha(string content) => Sha(Encoding.UTF8.GetBytes(content));

    private async Task RunJobAsync(Guid ingestionId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IngestionJob>().ExecuteAsync(ingestionId, default);
    }

    private string StagingFolder(Guid ingestionId) => app.Services.GetRequiredService<IngestionStaging>().FolderOf(ingestionId);

    private async Task<IngestionResponse> UploadAsync(PortalClient sdk, string slug, IngestionTarget target, bool expandZip, params (string Path, byte[] Content)[] files)
    {
        var created = await sdk.CreateUploadIngestionAsync(slug, new CreateUploadIngestionRequest(target, expandZip));
        Assert.Equal(IngestionStatuses.Receiving, created.Status);
        foreach (var (path, content) in files)
            Assert.Equal(content.Length, (await sdk.PutIngestionFileAsync(slug, created.Id, path, new MemoryStream(content))).Size);
        var started = await sdk.StartIngestionAsync(slug, created.Id);
        Assert.Equal(IngestionStatuses.Queued, started.Status);
        await RunJobAsync(created.Id);
        return await sdk.GetIngestionAsync(slug, created.Id);
    }

    private static byte[] Zip(params (string Name, byte[] Content, int? UnixMode)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, mode) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                if (mode is { } m)
                    entry.ExternalAttributes = m << 16;
                using var stream = entry.Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static void AssertCommitted(IngestionResponse ingestion) =>
        Assert.True(ingestion.Status == IngestionStatuses.Committed, $"{ingestion.Status}: {ingestion.ErrorCode} {ingestion.ErrorMessage}");

    private static (string, byte[], int?) Entry(string name, string content, int? unixMode = null) => (name, Encoding.UTF8.GetBytes(content), unixMode);

    private async Task<Dictionary<string, VersionFileItem>> FilesAsync(PortalClient sdk, string slug, Guid versionId)
    {
        var files = new Dictionary<string, VersionFileItem>(StringComparer.Ordinal);
        await foreach (var item in sdk.ListAllVersionFilesAsync(slug, versionId))
            files[item.Path] = item;
        return files;
    }

    [SkippableFact]
    public async Task Uploaded_files_become_a_committed_version_with_their_digests_and_a_second_run_changes_nothing()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        var big = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var created = await sdk.CreateUploadIngestionAsync(team.Slug, new CreateUploadIngestionRequest(
            new IngestionTarget("uploaded", "dataset", "From the browser", "{\"split\":\"train\"}", ["staging"])));
        await sdk.PutIngestionFileAsync(team.Slug, created.Id, "train.jsonl", new MemoryStream(Encoding.UTF8.GetBytes("{\"id\":1}\n")));
        await sdk.PutIngestionFileAsync(team.Slug, created.Id, "docs/été/big.bin", new MemoryStream(big));

        // Path rules and duplicates are refused as each file arrives, naming the path.
        var duplicate = await Assert.ThrowsAsync<PortalApiException>(() => sdk.PutIngestionFileAsync(team.Slug, created.Id, "train.jsonl", new MemoryStream([1])));
        Assert.Equal((HttpStatusCode.Conflict, ErrorCodes.PathDuplicate), (duplicate.Status, duplicate.Code));
        Assert.Contains("train.jsonl", duplicate.Message, StringComparison.Ordinal);
        var backslash = await app.ClientWithToken(team.Contributor.Token).PutAsync($"/api/v1/projects/{team.Slug}/ingestions/{created.Id}/files/a%5Cb.txt", new ByteArrayContent([1]));
        var problem = await backslash.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathInvalid);
        Assert.Equal("a\\b.txt", problem.GetProperty("path").GetString());
        Assert.Equal(["train.jsonl", "docs/été/big.bin"], (await sdk.ListIngestionFilesAsync(team.Slug, created.Id)).Select(f => f.Path));

        var started = await sdk.StartIngestionAsync(team.Slug, created.Id);
        Assert.Equal((IngestionStatuses.Queued, 2L, big.Length + 9L), (started.Status, started.FilesTotal, started.BytesTotal));
        Assert.Equal(IngestionStatuses.Queued, (await sdk.StartIngestionAsync(team.Slug, created.Id)).Status);
        var late = await Assert.ThrowsAsync<PortalApiException>(() => sdk.PutIngestionFileAsync(team.Slug, created.Id, "late.txt", new MemoryStream([1])));
        Assert.Equal(ErrorCodes.IngestionNotReceiving, late.Code);
        // The ingestion's status has its own member, so the problem's integer status stays the HTTP status.
        var lateRaw = await app.ClientWithToken(team.Contributor.Token).PutAsync($"/api/v1/projects/{team.Slug}/ingestions/{created.Id}/files/late.txt", new ByteArrayContent([1]));
        var lateProblem = await lateRaw.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.IngestionNotReceiving);
        Assert.Equal(409, lateProblem.GetProperty("status").GetInt32());
        Assert.Equal(IngestionStatuses.Queued, lateProblem.GetProperty("ingestionStatus").GetString());

        await RunJobAsync(created.Id);
        var first = await sdk.GetIngestionAsync(team.Slug, created.Id);
        await RunJobAsync(created.Id);
        var second = await sdk.GetIngestionAsync(team.Slug, created.Id);

        AssertCommitted(first);
        Assert.Null(first.ErrorCode);
        Assert.Equal("v0", first.Version);
        Assert.False(first.Unchanged);
        Assert.Equal((2L, 2L, big.Length + 9L), (first.FilesDone, first.FilesTotal, first.BytesDone));
        Assert.Equal(first, second);
        Assert.False(Directory.Exists(StagingFolder(created.Id)));

        var files = await FilesAsync(sdk, team.Slug, first.VersionId!.Value);
        Assert.Equal(Sha("{\"id\":1}\n"), files["train.jsonl"].Digest);
        Assert.Equal(Sha(big), files["docs/été/big.bin"].Digest);
        Assert.Equal(big.Length, files["docs/été/big.bin"].Size);
        Assert.Null(files["docs/été/big.bin"].Ref);
        var copy = new MemoryStream();
        await sdk.DownloadVersionFileAsync(team.Slug, first.VersionId.Value, "docs/été/big.bin", copy);
        Assert.Equal(big, copy.ToArray());

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var artifactId = await db.Artifacts.Where(a => a.Name == "uploaded" && db.Projects.Any(p => p.Id == a.ProjectId && p.Slug == team.Slug)).Select(a => a.Id).SingleAsync();
        var version = await db.ArtifactVersions.SingleAsync(v => v.ArtifactId == artifactId);
        Assert.Equal(first.VersionId, version.Id);
        Assert.Equal(team.Contributor.Id, version.CreatedById);
        Assert.Equal("{\"split\":\"train\"}", version.MetadataJson);
        Assert.Equal(version.Id, await db.Aliases.Where(a => a.ArtifactId == artifactId && a.Name == "staging").Select(a => a.VersionId).SingleAsync());
        Assert.Equal(1, await db.AuditEvents.CountAsync(e => e.Action == "ingestion.committed" && e.TargetId == created.Id.ToString()));
        Assert.Equal(1, await db.AuditEvents.CountAsync(e => e.Action == "artifact_version.committed" && e.TargetId == version.Id.ToString()));

        // The same content again is not a new version: the ingestion names the current one.
        var again = await UploadAsync(sdk, team.Slug, new IngestionTarget("uploaded"), false, ("train.jsonl", Encoding.UTF8.GetBytes("{\"id\":1}\n")), ("docs/été/big.bin", big));
        Assert.Equal((IngestionStatuses.Committed, true, version.Id), (again.Status, again.Unchanged, again.VersionId));
    }

    [SkippableFact]
    public async Task A_zip_is_expanded_and_unsafe_zips_fail_naming_the_entry_with_nothing_written_outside_staging()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        var target = new IngestionTarget("zipped", "documents");

        var good = await UploadAsync(sdk, team.Slug, target, true, ("corpus.zip", Zip(Entry("a/", ""), Entry("a/one.txt", "one"), Entry("a/b/two.md", "# two"), Entry("three.csv", "x,y\n1,2\n"))));
        AssertCommitted(good);
        var files = await FilesAsync(sdk, team.Slug, good.VersionId!.Value);
        Assert.Equal(["a/b/two.md", "a/one.txt", "three.csv"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Sha("# two"), files["a/b/two.md"].Digest);
        Assert.Equal(3, good.FilesDone);

        // Without expansion the zip is one file of the version.
        var kept = await UploadAsync(sdk, team.Slug, new IngestionTarget("zip-kept", "raw_data"), false, ("corpus.zip", Zip(Entry("x.txt", "x"))));
        Assert.Equal(["corpus.zip"], (await FilesAsync(sdk, team.Slug, kept.VersionId!.Value)).Keys);

        var storageBefore = Directory.EnumerateFiles(app.StorageRoot, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/sha256/", StringComparison.Ordinal) && !f.Contains("/keys/", StringComparison.Ordinal)).ToList();
        var cases = new (string Name, byte[] Zip, string Code, string? Path)[]
        {
            ("traversal", Zip(Entry("ok.txt", "fine"), Entry("../escape.txt", "out")), ErrorCodes.PathInvalid, "../escape.txt"),
            ("deep traversal", Zip(Entry("a/../../escape2.txt", "out")), ErrorCodes.PathInvalid, "a/../../escape2.txt"),
            ("absolute", Zip(Entry("/tmp/portal-zip-absolute.txt", "out")), ErrorCodes.PathInvalid, "/tmp/portal-zip-absolute.txt"),
            ("backslash", Zip(Entry("..\\escape3.txt", "out")), ErrorCodes.PathInvalid, "..\\escape3.txt"),
            ("duplicate", Zip(Entry("same.txt", "1"), Entry("same.txt", "2")), ErrorCodes.PathDuplicate, "same.txt"),
            ("symlink", Zip(Entry("link", "/etc/passwd", 0xA1FF)), ErrorCodes.ZipEntryUnsupported, "link"),
            ("too many entries", Zip(Enumerable.Range(0, IngestionApp.MaxZipEntries + 1).Select(i => Entry($"f{i}.txt", "x")).ToArray()), ErrorCodes.ZipTooManyEntries, null),
            ("bomb", Zip(("zeros.bin", new byte[IngestionApp.MaxZipExpandedBytes + 1], null)), ErrorCodes.ZipTooLarge, null),
            ("not a zip", Encoding.UTF8.GetBytes("this is not a zip file at all, just text"), ErrorCodes.ZipInvalid, null),
        };
        foreach (var (name, zip, code, path) in cases)
        {
            var failed = await UploadAsync(sdk, team.Slug, target, true, ("bad.zip", zip));
            Assert.True(failed.Status == IngestionStatuses.Failed, $"{name}: {failed.Status}");
            Assert.True(failed.ErrorCode == code, $"{name}: {failed.ErrorCode} {failed.ErrorMessage}");
            if (path is not null)
                Assert.Contains(path.Replace("\\", "\\\\", StringComparison.Ordinal), failed.ErrorMessage, StringComparison.Ordinal);
            Assert.Null(failed.VersionId);
            Assert.False(Directory.Exists(StagingFolder(failed.Id)), name);
        }

        // Nothing escaped: no file outside the blob store appeared under the storage root or next to it, and /tmp holds no absolute entry.
        var storageAfter = Directory.EnumerateFiles(app.StorageRoot, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/sha256/", StringComparison.Ordinal) && !f.Contains("/keys/", StringComparison.Ordinal)).ToList();
        Assert.Equal(storageBefore, storageAfter);
        var parent = Path.GetDirectoryName(app.StorageRoot)!;
        Assert.Empty(Directory.EnumerateFiles(parent, "escape*", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/portal-zip-absolute.txt"));
        var latest = await sdk.GetIngestionAsync(team.Slug, good.Id);
        Assert.Equal("v0", latest.Version);
    }

    [SkippableFact]
    public async Task File_references_inside_the_allowed_roots_are_hashed_and_everything_else_is_refused()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        var folder = Path.Combine(app.AllowedRoot, team.Slug);
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        var content = RandomNumberGenerator.GetBytes(100_000);
        await File.WriteAllBytesAsync(Path.Combine(folder, "sub", "data.bin"), content);
        await File.WriteAllTextAsync(Path.Combine(app.OutsideRoot, "secret.txt"), "secret");
        File.CreateSymbolicLink(Path.Combine(folder, "leak.txt"), Path.Combine(app.OutsideRoot, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "leakdir"), app.OutsideRoot);
        var inside = new Uri(Path.Combine(folder, "sub", "data.bin")).AbsoluteUri;

        var accepted = await sdk.CreateReferenceIngestionAsync(team.Slug, new CreateReferenceIngestionRequest(
            new IngestionTarget("refs", "raw_data"), [new IngestionReference("data.bin", inside)]));
        Assert.Equal(IngestionStatuses.Queued, accepted.Status);
        await RunJobAsync(accepted.Id);
        var done = await sdk.GetIngestionAsync(team.Slug, accepted.Id);
        AssertCommitted(done);
        var entry = (await FilesAsync(sdk, team.Slug, done.VersionId!.Value))["data.bin"];
        Assert.Equal((Sha(content), (long?)content.Length, inside), (entry.Digest, entry.Size, entry.Ref));
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.False(await scope.ServiceProvider.GetRequiredService<Portal.Core.Storage.IBlobStore>().ExistsAsync(Sha(content)));

        // storeCopies: the same file, stored as a plain entry.
        var copied = await sdk.CreateReferenceIngestionAsync(team.Slug, new CreateReferenceIngestionRequest(
            new IngestionTarget("copies", "raw_data"), [new IngestionReference("copy.bin", inside)], StoreCopies: true));
        await RunJobAsync(copied.Id);
        var copiedDone = await sdk.GetIngestionAsync(team.Slug, copied.Id);
        AssertCommitted(copiedDone);
        var copiedEntry = (await FilesAsync(sdk, team.Slug, copiedDone.VersionId!.Value))["copy.bin"];
        Assert.Equal((Sha(content), (string?)null), (copiedEntry.Digest, copiedEntry.Ref));

        var refused = new[]
        {
            new Uri(Path.Combine(app.OutsideRoot, "secret.txt")).AbsoluteUri,
            "file://" + folder + "/../../outside/secret.txt",
            new Uri(Path.Combine(folder, "leak.txt")).AbsoluteUri,
            new Uri(Path.Combine(folder, "leakdir", "secret.txt")).AbsoluteUri,
            "file:///etc/hostname",
            "ftp://example.com/data.bin",
        };
        var client = app.ClientWithToken(team.Contributor.Token);
        foreach (var uri in refused)
        {
            var response = await client.PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions", new CreateReferenceIngestionRequest(
                new IngestionTarget("refs"), [new IngestionReference("x.bin", uri)]));
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ReferenceNotAllowed);
            Assert.Equal(uri, problem.GetProperty("uri").GetString());
        }
        await (await client.PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions", new CreateReferenceIngestionRequest(
                new IngestionTarget("refs"), [new IngestionReference("../x.bin", inside)])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathInvalid);
        await (await client.PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions", new CreateReferenceIngestionRequest(
                new IngestionTarget("refs"), [new IngestionReference("a.bin", inside), new IngestionReference("a.bin", inside)])))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.PathDuplicate);

        // A link planted after the check is refused when the job reads it.
        var swapped = Path.Combine(folder, "swapped.txt");
        await File.WriteAllTextAsync(swapped, "harmless");
        var later = await sdk.CreateReferenceIngestionAsync(team.Slug, new CreateReferenceIngestionRequest(
            new IngestionTarget("refs"), [new IngestionReference("swapped.txt", new Uri(swapped).AbsoluteUri)]));
        File.Delete(swapped);
        File.CreateSymbolicLink(swapped, Path.Combine(app.OutsideRoot, "secret.txt"));
        await RunJobAsync(later.Id);
        var laterDone = await sdk.GetIngestionAsync(team.Slug, later.Id);
        Assert.Equal((IngestionStatuses.Failed, ErrorCodes.ReferenceNotAllowed), (laterDone.Status, laterDone.ErrorCode));
    }

    [SkippableFact]
    public async Task Http_references_are_hashed_from_a_local_server_and_bad_answers_fail_the_job()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        using var sdk = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        await using var server = await ObjectServer.StartAsync();
        var body = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 3);
        var url = server.Serve("/objects/model.safetensors", body);
        var moved = server.Redirect("/moved", url);

        var created = await sdk.CreateReferenceIngestionAsync(team.Slug, new CreateReferenceIngestionRequest(
            new IngestionTarget("weights", "model"), [new IngestionReference("model.safetensors", url), new IngestionReference("via-redirect.bin", moved)]));
        await RunJobAsync(created.Id);
        await RunJobAsync(created.Id);
        var done = await sdk.GetIngestionAsync(team.Slug, created.Id);
        AssertCommitted(done);
        Assert.Equal(2 * body.Length, done.BytesDone);
        Assert.Equal(3, server.Requests);
        var files = await FilesAsync(sdk, team.Slug, done.VersionId!.Value);
        Assert.Equal((Sha(body), url), (files["model.safetensors"].Digest, files["model.safetensors"].Ref));
        Assert.Equal((Sha(body), moved), (files["via-redirect.bin"].Digest, files["via-redirect.bin"].Ref));

        var cases = new (string Uri, string Code)[]
        {
            (server.BaseUrl + "/missing", ErrorCodes.ReferenceNotFound),
            (server.Redirect("/to-ftp", "ftp://127.0.0.1/file"), ErrorCodes.ReferenceNotAllowed),
            (server.Redirect("/loop", server.BaseUrl + "/loop"), ErrorCodes.ReferenceFetchFailed),
        };
        foreach (var (uri, code) in cases)
        {
            var failing = await sdk.CreateReferenceIngestionAsync(team.Slug, new CreateReferenceIngestionRequest(new IngestionTarget("weights"), [new IngestionReference("x.bin", uri)]));
            await RunJobAsync(failing.Id);
            var failed = await sdk.GetIngestionAsync(team.Slug, failing.Id);
            Assert.True(failed.Status == IngestionStatuses.Failed && failed.ErrorCode == code, $"{uri}: {failed.Status} {failed.ErrorCode} {failed.ErrorMessage}");
            Assert.Contains(uri, failed.ErrorMessage, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Viewers_are_refused_strangers_see_nothing_and_protected_aliases_are_refused_before_upload()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var target = new IngestionTarget("guarded", "dataset");
        var viewer = app.ClientWithToken(team.Viewer.Token);
        await (await viewer.PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions/uploads", new CreateUploadIngestionRequest(target)))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await viewer.PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions", new CreateReferenceIngestionRequest(target, [new IngestionReference("a", "https://example.com/a")])))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);

        using var contributor = new PortalClient(app.ClientWithToken(team.Contributor.Token));
        var mine = await contributor.CreateUploadIngestionAsync(team.Slug, new CreateUploadIngestionRequest(target));
        var stranger = await app.Data.CreateUserAsync();
        await (await app.ClientWithToken(stranger.Token).GetAsync($"/api/v1/projects/{team.Slug}/ingestions/{mine.Id}"))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        // Another contributor cannot add files to someone else's upload; viewers can watch it.
        await (await app.ClientWithToken(team.Admin.Token).PutAsync($"/api/v1/projects/{team.Slug}/ingestions/{mine.Id}/files/x.txt", new ByteArrayContent([1])))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.IngestionNotFound);
        await (await viewer.PutAsync($"/api/v1/projects/{team.Slug}/ingestions/{mine.Id}/files/x.txt", new ByteArrayContent([1])))
            .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Equal(IngestionStatuses.Receiving, (await viewer.GetFromJsonAsync<IngestionResponse>($"/api/v1/projects/{team.Slug}/ingestions/{mine.Id}"))!.Status);
        var empty = await Assert.ThrowsAsync<PortalApiException>(() => contributor.StartIngestionAsync(team.Slug, mine.Id));
        Assert.Equal(ErrorCodes.IngestionEmpty, empty.Code);

        var policy = await app.ClientWithToken(team.Admin.Token).PutAsJsonAsync($"/api/v1/projects/{team.Slug}/promotion-policies/production", new PromotionPolicyRequest());
        Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
        await (await app.ClientWithToken(team.Contributor.Token).PostAsJsonAsync($"/api/v1/projects/{team.Slug}/ingestions/uploads",
                new CreateUploadIngestionRequest(target with { Aliases = ["production"] })))
            .AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
    }
}

public sealed class IngestionApiTests_Sqlite(IngestionSqliteApp app) : IngestionApiTests(app), IClassFixture<IngestionSqliteApp>;

public sealed class IngestionApiTests_Postgres(IngestionPostgresApp app) : IngestionApiTests(app), IClassFixture<IngestionPostgresApp>;

/// <summary>The https guard without the test allowances: loopback and private addresses are refused on the connected address.</summary>
public sealed class ReferenceSourcesTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("192.0.2.2", false)]
    [InlineData("198.51.100.7", false)]
    [InlineData("203.0.113.5", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    public void Only_public_addresses_are_public(string address, bool expected) =>
        Assert.Equal(expected, Portal.Core.Net.PublicAddresses.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_loopback_server_is_refused_unless_allowed()
    {
        await using var server = await ObjectServer.StartAsync();
        var url = server.Serve("/a.bin", [1, 2, 3]).Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ingestion:AllowHttp"] = "true" }).Build();
        services.AddLogging();
        services.AddIngestionsFeature(configuration);
        await using var provider = services.BuildServiceProvider();
        var sources = provider.GetRequiredService<ReferenceSources>();
        var refused = await Assert.ThrowsAsync<Portal.Core.PortalException>(() => sources.OpenAsync(url, default));
        Assert.Equal(ErrorCodes.ReferenceNotAllowed, refused.Code);
        Assert.Equal(0, server.Requests);
    }
}
