using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Promotions;

namespace Portal.Core.Features.Artifacts;


/// <summary>
/// Step 1 of the upload protocol: turns a manifest (whole, or a base version plus a patch) into a
/// <see cref="VersionState.Pending"/> version and names the blobs the portal still needs. The manifest is streamed:
/// read → external sort → ranges, each range stored as it closes, so memory holds one range plus the sorter's buffer.
/// </summary>
public sealed class CreateVersion(
    IDbContextFactory<PortalDbContext> dbFactory,
    ArtifactWrites writes,
    BulkInserts bulk,
    ProjectAccess access,
    RangeWriter ranges,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Storage.BlobStoreOptions> storage)
{
    /// <summary>A full manifest as NDJSON (optionally gzip), in any order.</summary>
    public Task<CreateVersionResponse> FromNdjsonAsync(ClaimsPrincipal user, string slug, string name, NewVersionFields fields, Stream body, CancellationToken ct = default) =>
        CreateAsync(user, slug, name, fields, (_, write) => ManifestRangeBuilder.BuildAsync(new ManifestSorter().SortAsync(ManifestNdjsonReader.ReadAsync(body, storage.Value.ManifestLimits, ct), ct), write, ct), ct);

    /// <summary>
    /// A JSON body (<see cref="CreateVersionRequest"/>) read from the request stream: its entries go straight into the
    /// external sort, so memory holds the sorter's buffer, never the whole body or a list of all entries.
    /// </summary>
    public async Task<CreateVersionResponse> FromJsonAsync(ClaimsPrincipal user, string slug, string name, Stream body, JsonSerializerOptions json, CancellationToken ct = default)
    {
        var reader = new VersionRequestJsonReader(json);
        await using var sorted = new ManifestSorter().SortAsync(reader.ReadEntriesAsync(body, ct), ct).GetAsyncEnumerator(ct);
        // The sorter takes all of its input before it yields: the whole body is read here, fields after "entries" too.
        var any = await sorted.MoveNextAsync();
        var request = reader.Request();
        var metadata = request.Metadata is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } m ? m.GetRawText() : null;
        var fields = new NewVersionFields(request.Type, request.Description, metadata, request.Aliases, request.RunId);
        if (request.Base is not null)
            return await FromPatchAsync(user, slug, name, fields, request.Base, request.Upserts ?? [], request.Deletes ?? [], ct);
        return await CreateAsync(user, slug, name, fields, (_, write) => ManifestRangeBuilder.BuildAsync(Remaining(sorted, any), write, ct), ct);
    }

    private static async IAsyncEnumerable<ManifestEntry> Remaining(IAsyncEnumerator<ManifestEntry> sorted, bool any)
    {
        if (!any)
            yield break;
        do
            yield return sorted.Current;
        while (await sorted.MoveNextAsync());
    }

    /// <summary>A full manifest in a JSON body (small manifests), in any order.</summary>
    public Task<CreateVersionResponse> FromEntriesAsync(ClaimsPrincipal user, string slug, string name, NewVersionFields fields, IReadOnlyList<ManifestEntryModel> entries, CancellationToken ct = default)
    {
        var converted = entries.Select((e, i) => ManifestEntryModels.ToEntry(e, i + 1)).ToList();
        return CreateAsync(user, slug, name, fields, (_, write) => ManifestRangeBuilder.BuildAsync(new ManifestSorter().SortAsync(converted.ToAsyncEnumerable(), ct), write, ct), ct);
    }

    /// <summary>A committed version of the same artifact (<c>vN</c>, alias, id or digest) with upserts and deletes applied.</summary>
    public Task<CreateVersionResponse> FromPatchAsync(
        ClaimsPrincipal user, string slug, string name, NewVersionFields fields, string baseReference,
        IReadOnlyList<ManifestEntryModel> upserts, IReadOnlyList<string> deletes, CancellationToken ct = default)
    {
        var patch = new ManifestPatch(upserts.Select((e, i) => ManifestEntryModels.ToEntry(e, i + 1)), deletes);
        // Every other entry comes from the committed base, whose blobs were present and sizes checked when it
        // committed, and which its project holds since: only the upserted blobs can be missing or mismatched.
        var newBlobs = patch.Upserts.Where(e => e.Ref is null).ToList();
        return CreateAsync(user, slug, name, fields, (artifact, write) =>
        {
            var baseVersion = artifact?.BaseVersion ?? throw BaseNotFound(name, baseReference);
            return PatchBuilder.BuildAsync(dbFactory, baseVersion.Id, patch, write, ct);
        }, ct, baseReference, newBlobs);
    }

    private sealed record ExistingArtifact(Artifact Artifact, ArtifactVersion? BaseVersion);

    private async Task<CreateVersionResponse> CreateAsync(
        ClaimsPrincipal user, string slug, string name, NewVersionFields fields,
        Func<ExistingArtifact?, Func<BuiltRange, CancellationToken, ValueTask>, Task<ManifestSummary>> buildManifest, CancellationToken ct,
        string? baseReference = null, IReadOnlyList<ManifestEntry>? onlyNewBlobs = null)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        ArtifactNames.ValidateName(name);
        var (type, description, metadataJson, aliases) = fields.Validate();

        // Everything that can be refused cheaply is checked before the manifest is read.
        ExistingArtifact? existing;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var artifact = await db.Artifacts.AsNoTracking().SingleOrDefaultAsync(a => a.ProjectId == grant.Project.Id && a.Name == name, ct);
            if (artifact is null && type is null)
                throw PortalException.BadRequest(ErrorCodes.ArtifactTypeInvalid, $"Artifact '{name}' does not exist yet: give its type (such as dataset or model) to create it.");
            if (artifact is not null && type is not null && artifact.Type != type)
                throw TypeMismatch(name, artifact.Type, type);
            // A protected alias is refused before the manifest is read and any blob is uploaded.
            await AliasMoves.RequireUnprotectedAsync(db, grant.Project.Id, slug, name, aliases, ct);
            if (fields.RunId is { } runId && !await db.Runs.AnyAsync(r => r.Id == runId && r.ProjectId == grant.Project.Id, ct))
                throw PortalException.NotFound(ErrorCodes.RunNotFound, $"Run {runId} does not exist in project '{slug}'.");
            ArtifactVersion? baseVersion = null;
            if (baseReference is not null)
            {
                baseVersion = artifact is null ? null : await VersionQueries.ResolveAsync(db, artifact.Id, baseReference, ct);
                if (baseVersion is null)
                    throw BaseNotFound(name, baseReference);
            }
            existing = artifact is null ? null : new ExistingArtifact(artifact, baseVersion);
            if (onlyNewBlobs is not null)
            {
                // A patch's new entries are few and in memory: their sizes are checked before anything is stored.
                var patchScope = await VersionScope.ForAsync(db, Guid.Empty, grant.Project.Id, [grant.UserId], ct);
                var present = await VersionQueries.PresentSizesAsync(db, patchScope, onlyNewBlobs.Select(e => e.Digest).ToList(), ct);
                var mismatches = onlyNewBlobs
                    .Where(e => present.TryGetValue(e.Digest, out var size) && size != e.Size)
                    .Select(e => new SizeMismatch(e.Path, e.Digest, e.Size, present[e.Digest]))
                    .Take(SizeMismatch.Listed)
                    .ToList();
                if (mismatches.Count > 0)
                    throw SizeMismatch.Refusal(mismatches);
            }
        }

        ManifestSummary summary;
        await using (var pipeline = new RangeWritePipeline(ranges, ct))
        {
            summary = await buildManifest(existing, pipeline.EnqueueAsync);
            await pipeline.CompleteAsync();
        }

        var (artifactRow, artifactCreated) = existing is not null ? (existing.Artifact, false) : await EnsureArtifactAsync(grant, name, type!, ct);
        if (type is not null && artifactRow.Type != type)
            throw TypeMismatch(name, artifactRow.Type, type);

        await using var context = await dbFactory.CreateDbContextAsync(ct);
        var latest = await context.Aliases.AsNoTracking()
            .Where(a => a.ArtifactId == artifactRow.Id && a.Name == ArtifactNames.Latest)
            .Select(a => a.Version)
            .SingleOrDefaultAsync(ct);
        if (latest is not null && latest.ManifestDigest == summary.Digest)
        {
            // Same content as latest: like W&B, no new version; the answer names the existing one.
            var current = await VersionQueries.ToResponseAsync(context, artifactRow, latest, ct);
            return new CreateVersionResponse(CreateVersionStatus.Unchanged, latest.Id, summary.Digest, summary.FileCount, summary.TotalSize, [], Version: current);
        }

        var now = clock.GetUtcNow();
        var version = new ArtifactVersion
        {
            Id = Guid.NewGuid(),
            ArtifactId = artifactRow.Id,
            ManifestDigest = summary.Digest,
            State = VersionState.Pending,
            FileCount = summary.FileCount,
            TotalSize = summary.TotalSize,
            MetadataJson = metadataJson,
            Description = description,
            CreatedByRunId = fields.RunId,
            CreatedById = grant.UserId,
            CreatedAt = now,
            RequestedAliasesJson = JsonSerializer.Serialize(aliases),
        };
        await InsertPendingAsync(artifactRow, artifactCreated, version, summary, grant, now, ct);

        var scope = await VersionScope.ForAsync(context, version.Id, grant.Project.Id, [grant.UserId], ct);
        if (onlyNewBlobs is null)
        {
            var mismatches = await VersionQueries.SizeMismatchesAsync(context, scope, SizeMismatch.Listed, ct);
            if (mismatches.Count > 0)
            {
                // Refused: the pending row never becomes visible, and garbage collection releases its ranges.
                await context.ArtifactVersions.Where(v => v.Id == version.Id && v.State == VersionState.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(v => v.State, VersionState.Failed), CancellationToken.None);
                throw SizeMismatch.Refusal(mismatches);
            }
        }
        var missing = onlyNewBlobs is null
            ? await VersionQueries.MissingDigestsAsync(context, scope, CreateVersionResponse.MaxMissingDigests + 1, ct)
            : await VersionQueries.MissingAmongAsync(context, scope, onlyNewBlobs.Select(e => e.Digest).ToList(), CreateVersionResponse.MaxMissingDigests + 1, ct);
        var truncated = missing.Count > CreateVersionResponse.MaxMissingDigests;
        if (truncated)
            missing.RemoveAt(missing.Count - 1);
        return new CreateVersionResponse(CreateVersionStatus.Pending, version.Id, summary.Digest, summary.FileCount, summary.TotalSize, missing, truncated);
    }

    /// <summary>
    /// Inserts the pending version and its range list: an <see cref="ArtifactWrites"/> unit, so the artifact row is
    /// locked first, as commits and alias moves do, and every writer takes the artifact lock before the audit chain's.
    /// </summary>
    private Task InsertPendingAsync(Artifact artifact, bool artifactCreated, ArtifactVersion version, ManifestSummary summary, ProjectAccessGrant grant, DateTimeOffset now, CancellationToken ct) =>
        writes.RunAsync(artifact.Id, async write =>
        {
            var db = write.Db;
            db.ArtifactVersions.Add(version);
            if (artifactCreated)
            {
                db.Record(artifact.CreatedAt, grant.UserId, grant.Project.Id, "artifact.created", "artifact", artifact.Id.ToString(),
                    after: new { name = artifact.Name, type = artifact.Type });
            }
            db.Record(now, grant.UserId, grant.Project.Id, "artifact_version.created", "artifact_version", version.Id.ToString(),
                after: new { artifact = artifact.Name, version.ManifestDigest, version.FileCount, version.TotalSize });
            await db.SaveChangesAsync(ct);
            await bulk.InsertVersionRangesAsync(db, version.Id, summary.RangeDigests, ct);
            return true;
        }, ct);

    /// <summary>
    /// The artifact, created on its first version; true when this call created it. Parallel first versions race on
    /// the unique name and the losers use the winner's row. The insert is deliberately not audited here: its audit
    /// event goes with the version insert, which takes the artifact lock before the audit chain's like every other
    /// artifact writer (taking the chain's lock here, around a contended unique insert, deadlocked on PostgreSQL).
    /// </summary>
    private async Task<(Artifact Artifact, bool Created)> EnsureArtifactAsync(ProjectAccessGrant grant, string name, string type, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = grant.Project.Id, Name = name, Type = type, CreatedAt = clock.GetUtcNow() };
        try
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                db.Artifacts.Add(artifact);
                await db.SaveChangesAsync(ct);
            });
            return (artifact, true);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            await using var again = await dbFactory.CreateDbContextAsync(ct);
            return (await again.Artifacts.AsNoTracking().SingleAsync(a => a.ProjectId == grant.Project.Id && a.Name == name, ct), false);
        }
    }

    private static PortalException TypeMismatch(string name, string existingType, string requestedType) =>
        PortalException.Conflict(ErrorCodes.ArtifactTypeMismatch,
            $"Artifact '{name}' has type '{existingType}', not '{requestedType}'; use another name or the same type.",
            new Dictionary<string, object?> { ["type"] = existingType });

    private static PortalException BaseNotFound(string name, string reference) =>
        PortalException.NotFound(ErrorCodes.BaseVersionNotFound, $"Artifact '{name}' has no committed version '{reference}' to use as the base.");
}
