using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Events;
using Portal.Core.Features.Maintenance;
using Portal.Core.Storage;

namespace Portal.Web.Tests.Features.Maintenance;

/// <summary>
/// Each maintenance job against a real database and blob store: its effect, what it must never touch, and that it is
/// idempotent — the same run id executed twice, and a second run on the same state, change nothing more.
/// </summary>
public abstract class MaintenanceJobsTests(PortalApp app)
{
    private static string DigestOf(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    /// <summary>Queues a run as "run now" does, executes that same run id twice, and answers its report.</summary>
    private async Task<MaintenanceRunResponse> RunTwiceAsync(TestUser siteAdmin, string job)
    {
        using var client = app.ClientWithToken(siteAdmin.Token);
        var queued = await client.PostAsync($"/api/v1/admin/maintenance/jobs/{job}/run", null);
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var run = (await queued.Content.ReadFromJsonAsync<MaintenanceRunResponse>())!;
        Assert.Equal("queued", run.State);
        for (var i = 0; i < 2; i++)
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<MaintenanceJobRunner>().ExecuteAsync(run.Id, default);
        }
        var runs = await (await client.GetAsync($"/api/v1/admin/maintenance/runs?job={job}&limit=500")).ReadOkAsync<List<MaintenanceRunResponse>>();
        var done = Assert.Single(runs, r => r.Id == run.Id);
        Assert.Equal("succeeded", done.State);
        Assert.Equal(1, done.Attempts);
        return done;
    }

    private async Task<T> DbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    private async Task<Guid> CreatePendingAsync(TestProject team, string name, params (string Path, string Content)[] files)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var entries = files.Select(f => new ManifestEntryModel(f.Path, DigestOf(f.Content), Encoding.UTF8.GetByteCount(f.Content))).ToList();
        var created = await scope.ServiceProvider.GetRequiredService<CreateVersion>().FromEntriesAsync(
            team.Contributor.Principal, team.Slug, name, new NewVersionFields("dataset", "", "{}", null, null), entries);
        return created.VersionId!.Value;
    }

    [SkippableFact]
    public async Task Run_reports_are_for_site_admins_and_unknown_jobs_are_named()
    {
        app.SkipIfUnavailable();
        var user = await app.Data.CreateUserAsync();
        var admin = await app.Data.CreateUserAsync("siteadmin", siteAdmin: true);
        await (await app.ClientWithToken(user.Token).GetAsync("/api/v1/admin/maintenance/runs")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await app.ClientWithToken(user.Token).PostAsync("/api/v1/admin/maintenance/jobs/retention/run", null)).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await app.ClientWithToken(admin.Token).PostAsync("/api/v1/admin/maintenance/jobs/defrag/run", null)).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.MaintenanceJobUnknown);

        using var sdk = new PortalClient(app.ClientWithToken(admin.Token));
        var queued = await sdk.RunMaintenanceJobAsync(MaintenanceJobNames.Retention);
        Assert.Equal("manual", queued.Trigger);
        Assert.Contains(await sdk.ListMaintenanceRunsAsync(MaintenanceJobNames.Retention), r => r.Id == queued.Id && r.State == "queued");
        var refused = await Assert.ThrowsAsync<PortalApiException>(() => sdk.RunMaintenanceJobAsync("defrag"));
        Assert.Equal(ErrorCodes.MaintenanceJobUnknown, refused.Code);
    }

    [SkippableFact]
    public async Task Abandoned_pending_versions_are_aborted_once_and_fresh_ones_are_left()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("siteadmin", siteAdmin: true);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var abandoned = await CreatePendingAsync(team, "uploads", ("a.txt", "abandoned " + Guid.NewGuid()));
        var fresh = await CreatePendingAsync(team, "uploads", ("b.txt", "fresh " + Guid.NewGuid()));
        await DbAsync(db => db.ArtifactVersions.Where(v => v.Id == abandoned)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.CreatedAt, DateTimeOffset.UtcNow.AddHours(-25))));

        var first = await RunTwiceAsync(admin, MaintenanceJobNames.PendingExpiry);
        var second = await RunTwiceAsync(admin, MaintenanceJobNames.PendingExpiry);

        Assert.True(first.Affected >= 1);
        Assert.Contains(abandoned.ToString(), first.Details.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(abandoned.ToString(), second.Details.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(VersionState.Failed, await DbAsync(db => db.ArtifactVersions.Where(v => v.Id == abandoned).Select(v => v.State).SingleAsync()));
        Assert.Equal(VersionState.Pending, await DbAsync(db => db.ArtifactVersions.Where(v => v.Id == fresh).Select(v => v.State).SingleAsync()));
        Assert.Equal(1, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Action == "artifact_version.expired" && e.TargetId == abandoned.ToString())));
        // An expired version cannot be committed any more.
        await using var scope = app.Services.CreateAsyncScope();
        var ex = await Assert.ThrowsAsync<PortalException>(() => scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(team.Contributor.Principal, team.Slug, "uploads", abandoned));
        Assert.Equal(ErrorCodes.VersionNotPending, ex.Code);
    }

    [SkippableFact]
    public async Task The_scrub_flags_every_version_holding_a_corrupt_or_missing_blob_once_and_downloads_still_refuse()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("siteadmin", siteAdmin: true);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var salt = Guid.NewGuid().ToString();
        var good = ("good.txt", "good " + salt);
        var bad = ("data/bad.txt", "will rot " + salt);
        var gone = ("gone.txt", "will vanish " + salt);
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "docs", "documents", null, "", good, bad);
        var v1 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "docs", "documents", null, "", good, bad, gone);
        var other = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "clean", "documents", null, "", good);
        var store = app.FileStore;
        await File.WriteAllTextAsync(store.GetBlobPath(DigestOf(bad.Item2)), "rotten bytes");
        File.Delete(store.GetBlobPath(DigestOf(gone.Item2)));

        var first = await RunTwiceAsync(admin, MaintenanceJobNames.IntegrityScrub);
        // Make the same blobs due again: the second run re-hashes them and must not flag anything twice.
        await DbAsync(db => db.StoredBlobs.ExecuteUpdateAsync(s => s.SetProperty(b => b.VerifiedAt, DateTimeOffset.UtcNow.AddDays(-30))));
        var second = await RunTwiceAsync(admin, MaintenanceJobNames.IntegrityScrub);

        Assert.True(first.Examined >= 3);
        Assert.True(second.Examined >= 3);
        Assert.Contains(DigestOf(bad.Item2), first.Details.GetRawText(), StringComparison.Ordinal);
        var flags = await DbAsync(db => db.VersionIntegrityFlags.AsNoTracking().Where(f => f.VersionId == v0.Id || f.VersionId == v1.Id || f.VersionId == other.Id).ToListAsync());
        Assert.Equal(3, flags.Count);
        Assert.Contains(flags, f => f.VersionId == v0.Id && f.Path == "data/bad.txt" && f.Problem == IntegrityProblem.Corrupt);
        Assert.Contains(flags, f => f.VersionId == v1.Id && f.Path == "data/bad.txt" && f.Problem == IntegrityProblem.Corrupt);
        Assert.Contains(flags, f => f.VersionId == v1.Id && f.Path == "gone.txt" && f.Problem == IntegrityProblem.Missing);
        Assert.Equal(3, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Action == "artifact_version.integrity_flagged" && (e.TargetId == v0.Id.ToString() || e.TargetId == v1.Id.ToString() || e.TargetId == other.Id.ToString()))));
        Assert.True(await DbAsync(db => db.StoredBlobs.Where(b => b.Digest == DigestOf(bad.Item2)).Select(b => b.Corrupt).SingleAsync()));
        Assert.False(await DbAsync(db => db.StoredBlobs.Where(b => b.Digest == DigestOf(good.Item2)).Select(b => b.Corrupt).SingleAsync()));

        var viewer = app.ClientWithToken(team.Viewer.Token);
        var issues = await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/integrity")).ReadOkAsync<List<VersionIntegrityIssueResponse>>();
        Assert.Equal(["data/bad.txt", "gone.txt"], issues.Select(i => i.Path));
        Assert.Empty(await (await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{other.Id}/integrity")).ReadOkAsync<List<VersionIntegrityIssueResponse>>());
        var stranger = await app.Data.CreateUserAsync();
        await (await app.ClientWithToken(stranger.Token).GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/integrity")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ProjectNotFound);
        var download = await viewer.GetAsync($"/api/v1/projects/{team.Slug}/versions/{v1.Id}/file?path=data/bad.txt");
        await download.AssertProblemAsync(HttpStatusCode.InternalServerError, ErrorCodes.DigestMismatch);
        // A corrupt blob counts as missing, so the next upload of those bytes is asked for.
        var missing = await (await app.ClientWithToken(team.Contributor.Token).PostAsJsonAsync("/api/v1/blobs/missing", new MissingBlobsRequest([DigestOf(bad.Item2), DigestOf(good.Item2)]))).ReadOkAsync<MissingBlobsResponse>();
        Assert.Equal([DigestOf(bad.Item2)], missing.Missing);
    }

    [SkippableFact]
    public async Task Retention_removes_old_versions_but_never_latest_aliased_or_upstream_of_a_custom_alias()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("siteadmin", siteAdmin: true);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var lineage = new TestLineage(team.Project.Id);
        var raw = lineage.Artifact("raw", "raw_data");
        var raw0 = lineage.Version(raw);
        var raw1 = lineage.Version(raw);
        var raw2 = lineage.Version(raw);
        lineage.Alias(raw2, "latest");
        var chunks = lineage.Artifact("chunks", "chunks");
        var chunks0 = lineage.Version(chunks);
        var chunks1 = lineage.Version(chunks);
        lineage.Alias(chunks1, "latest");
        var model = lineage.Artifact("model", "model");
        var model0 = lineage.Version(model);
        var model1 = lineage.Version(model);
        lineage.Alias(model0, "production");
        lineage.Alias(model1, "latest");
        var eval = lineage.Artifact("eval", "eval");
        var eval0 = lineage.Version(eval);
        var eval1 = lineage.Version(eval);
        var eval2 = lineage.Version(eval);
        lineage.Alias(eval0, "golden");
        // raw:v0 → chunking → chunks:v0 → training → model:v0 (production): both inputs are upstream of production.
        var chunking = lineage.Run("chunking", "data_processing");
        lineage.Used(chunking, raw0);
        lineage.Produced(chunking, chunks0);
        var training = lineage.Run("training", "model_training");
        lineage.Used(training, chunks0);
        lineage.Produced(training, model0);
        await lineage.SaveAsync(app.Services);

        var adminClient = app.ClientWithToken(team.Admin.Token);
        var url = $"/api/v1/projects/{team.Slug}/retention-policies";
        await (await app.ClientWithToken(team.Contributor.Token).PutAsJsonAsync(url + "/*", new RetentionPolicyRequest(1))).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await (await adminClient.PutAsJsonAsync(url + "/*", new RetentionPolicyRequest(0))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.RetentionPolicyInvalid);
        await (await adminClient.PutAsJsonAsync(url + "/Not-A-Type", new RetentionPolicyRequest(3))).AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ArtifactTypeInvalid);
        (await adminClient.PutAsJsonAsync(url + "/*", new RetentionPolicyRequest(1))).EnsureSuccessStatusCode();
        // Evaluation sets are kept longer than the versions are old: none of them goes.
        (await adminClient.PutAsJsonAsync(url + "/model", new RetentionPolicyRequest(365))).EnsureSuccessStatusCode();
        var policies = await (await app.ClientWithToken(team.Viewer.Token).GetAsync(url)).ReadOkAsync<List<RetentionPolicyResponse>>();
        Assert.Equal(["model", "*"], policies.Select(p => p.ArtifactType));

        await RunTwiceAsync(admin, MaintenanceJobNames.Retention);
        await RunTwiceAsync(admin, MaintenanceJobNames.Retention);

        var states = await DbAsync(db => db.ArtifactVersions.AsNoTracking().Where(v => v.Artifact.ProjectId == team.Project.Id).ToDictionaryAsync(v => v.Id, v => v.State));
        Assert.Equal([raw1, eval1], states.Where(s => s.Value == VersionState.Deleted).Select(s => s.Key).OrderBy(id => id == raw1 ? 0 : 1));
        foreach (var kept in new[] { raw0, raw2, chunks0, chunks1, model0, model1, eval0, eval2 })
            Assert.Equal(VersionState.Committed, states[kept]);
        Assert.Equal(1, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Action == RetentionJob.RetiredAction && e.TargetId == raw1.ToString())));
        Assert.Equal(2, await DbAsync(db => db.PortalEvents.CountAsync(e => e.ProjectId == team.Project.Id && e.Type == PortalEventTypes.VersionRetired)));

        var removals = await (await adminClient.GetAsync($"/api/v1/projects/{team.Slug}/retention-removals")).ReadOkAsync<List<RetentionRemovalResponse>>();
        Assert.Equal(2, removals.Count);
        Assert.Contains(removals, r => r.VersionId == raw1 && r.Artifact == "raw" && r.Version == "v1" && r.Reason.Contains("1 days", StringComparison.Ordinal));
        await (await app.ClientWithToken(team.Viewer.Token).GetAsync($"/api/v1/projects/{team.Slug}/retention-removals")).AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await adminClient.DeleteAsync(url + "/model")).StatusCode);
        await (await adminClient.DeleteAsync(url + "/model")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.RetentionPolicyNotFound);

        using var sdk = new PortalClient(app.ClientWithToken(team.Admin.Token));
        Assert.Equal(2, (await sdk.ListRetentionRemovalsAsync(team.Slug)).Count);
        Assert.Equal(400, (await sdk.SetRetentionPolicyAsync(team.Slug, "eval", new RetentionPolicyRequest(400))).KeepDays);
        Assert.Equal(["eval", "*"], (await sdk.ListRetentionPoliciesAsync(team.Slug)).Select(p => p.ArtifactType));
        await sdk.DeleteRetentionPolicyAsync(team.Slug, "eval");
        Assert.Empty(await sdk.GetVersionIntegrityAsync(team.Slug, raw2));
    }

    [SkippableFact]
    public async Task Garbage_collection_deletes_only_blobs_unreferenced_past_the_grace_period_once()
    {
        app.SkipIfUnavailable();
        var admin = await app.Data.CreateUserAsync("siteadmin", siteAdmin: true);
        var team = await app.Data.CreateProjectWithTeamAsync();
        var salt = Guid.NewGuid().ToString();
        var shared = ("shared.txt", "kept by v1 " + salt);
        var dropped = ("dropped.txt", "only in v0 " + salt);
        var pendingOnly = ("pending.txt", "only in a pending version " + salt);
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "documents", null, "", shared, dropped);
        await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "corpus", "documents", null, "", shared);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var bytes = Encoding.UTF8.GetBytes(pendingOnly.Item2);
            await scope.ServiceProvider.GetRequiredService<BlobUploads>().PutAsync(team.Contributor.Principal, DigestOf(pendingOnly.Item2), new MemoryStream(bytes), bytes.Length);
        }
        await CreatePendingAsync(team, "in-progress", pendingOnly);
        var store = app.FileStore;
        var staleTemp = Path.Combine(Path.GetDirectoryName(store.GetBlobPath(DigestOf(shared.Item2)))!, FileSystemBlobStore.TempFilePrefix + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(staleTemp, "half an upload");
        File.SetLastWriteTimeUtc(staleTemp, DateTime.UtcNow.AddDays(-2));
        // v0 was removed by retention.
        await DbAsync(db => db.ArtifactVersions.Where(v => v.Id == v0.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.State, VersionState.Deleted)));
        string[] digests = [DigestOf(shared.Item2), DigestOf(dropped.Item2), DigestOf(pendingOnly.Item2)];

        // First pass: v0's manifest is released and the blob only it named is seen unreferenced — but it is in its grace period.
        await RunTwiceAsync(admin, MaintenanceJobNames.GarbageCollection);
        Assert.False(File.Exists(staleTemp));
        Assert.Equal(0, await DbAsync(db => db.VersionRanges.CountAsync(vr => vr.VersionId == v0.Id)));
        var blobs = await DbAsync(db => db.StoredBlobs.AsNoTracking().Where(b => digests.Contains(b.Digest)).ToDictionaryAsync(b => b.Digest));
        Assert.Equal(3, blobs.Count);
        Assert.NotNull(blobs[DigestOf(dropped.Item2)].UnreferencedSince);
        Assert.Null(blobs[DigestOf(shared.Item2)].UnreferencedSince);
        Assert.Null(blobs[DigestOf(pendingOnly.Item2)].UnreferencedSince);

        // Eight days later (uploaded and unreferenced before the 7-day grace period): collected, exactly once.
        var past = DateTimeOffset.UtcNow.AddDays(-8);
        await DbAsync(db => db.StoredBlobs.Where(b => digests.Contains(b.Digest))
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.StoredAt, past).SetProperty(b => b.UnreferencedSince, b => b.UnreferencedSince == null ? null : past)));
        var first = await RunTwiceAsync(admin, MaintenanceJobNames.GarbageCollection);
        var second = await RunTwiceAsync(admin, MaintenanceJobNames.GarbageCollection);

        Assert.Contains(DigestOf(dropped.Item2), first.Details.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(DigestOf(dropped.Item2), second.Details.GetRawText(), StringComparison.Ordinal);
        Assert.False(File.Exists(store.GetBlobPath(DigestOf(dropped.Item2))));
        Assert.True(File.Exists(store.GetBlobPath(DigestOf(shared.Item2))));
        Assert.True(File.Exists(store.GetBlobPath(DigestOf(pendingOnly.Item2))));
        var left = await DbAsync(db => db.StoredBlobs.AsNoTracking().Where(b => digests.Contains(b.Digest)).Select(b => b.Digest).ToListAsync());
        Assert.Equal(new[] { DigestOf(shared.Item2), DigestOf(pendingOnly.Item2) }.Order(), left.Order());
        // Nobody holds a deleted blob any more: whoever wants it back must upload the bytes again.
        Assert.Equal(0, await DbAsync(db => db.ProjectBlobs.CountAsync(p => p.Digest == DigestOf(dropped.Item2))));
        Assert.Equal(1, await DbAsync(db => db.ProjectBlobs.CountAsync(p => p.Digest == DigestOf(shared.Item2) && p.ProjectId == team.Project.Id)));
        // The removed version's row and history stay (a tombstone).
        Assert.Equal(VersionState.Deleted, await DbAsync(db => db.ArtifactVersions.Where(v => v.Id == v0.Id).Select(v => v.State).SingleAsync()));
        // Uploading the collected bytes again works and is recorded again.
        var again = await app.ClientWithToken(team.Contributor.Token).PutAsync($"/api/v1/blobs/sha256/{DigestOf(dropped.Item2)}", new ByteArrayContent(Encoding.UTF8.GetBytes(dropped.Item2)));
        var put = await again.ReadOkAsync<BlobPutResponse>(HttpStatusCode.Created);
        Assert.False(put.AlreadyStored);
    }
}

public sealed class MaintenanceJobsTests_Sqlite(SqliteApp app) : MaintenanceJobsTests(app), IClassFixture<SqliteApp>;

public sealed class MaintenanceJobsTests_Postgres(PostgresApp app) : MaintenanceJobsTests(app), IClassFixture<PostgresApp>;

public sealed class MaintenanceJobsTests_SqlServer(SqlServerApp app) : MaintenanceJobsTests(app), IClassFixture<SqlServerApp>;
