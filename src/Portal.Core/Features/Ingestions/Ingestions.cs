using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Promotions;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// Starting and watching server-side ingestions. An upload is created <c>receiving</c>, its files stream one by one
/// into its staging folder, and <see cref="StartAsync"/> queues the job; references are checked and queued at once.
/// Contributors only, and an upload only takes files from the user who started it.
/// </summary>
public sealed class Ingestions(
    IDbContextFactory<PortalDbContext> dbFactory,
    ProjectAccess access,
    IngestionStaging staging,
    ReferenceSources references,
    IBackgroundJobClient jobs,
    IOptions<IngestionOptions> options,
    TimeProvider clock)
{
    private const int CopyBufferSize = 128 * 1024;

    public async Task<IngestionResponse> CreateUploadAsync(ClaimsPrincipal user, string slug, CreateUploadIngestionRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var ingestion = await NewIngestionAsync(grant, request.Target, IngestionKind.Upload, ct);
        ingestion.ExpandZip = request.ExpandZip;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Ingestions.Add(ingestion);
        db.Record(ingestion.CreatedAt, grant.UserId, grant.Project.Id, "ingestion.created", "ingestion", ingestion.Id.ToString(),
            after: new { kind = IngestionKinds.Upload, artifact = ingestion.ArtifactName });
        await db.SaveChangesAsync(ct);
        staging.CreateFilesFolder(ingestion.Id);
        return ToResponse(ingestion, grant.Project.Slug, null);
    }

    /// <summary>
    /// Streams one file of a receiving upload into the staging folder (never held in memory). The path must obey the
    /// manifest path rules and be new in this upload; the upload's byte and file limits apply while it streams.
    /// </summary>
    public async Task<IngestionFileResponse> AddFileAsync(ClaimsPrincipal user, string slug, Guid ingestionId, string path, Stream content, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        ManifestPath.Validate(path);
        var limits = options.Value;
        var file = new IngestionFile { Id = Guid.NewGuid(), IngestionId = ingestionId, Path = path };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var ingestion = await FindOwnAsync(db, grant, ingestionId, ct);
            if (ingestion.Status != IngestionStatus.Receiving)
                throw NotReceiving(ingestion);
            var staged = await db.IngestionFiles.Where(f => f.IngestionId == ingestionId)
                .GroupBy(f => 1).Select(g => new { Count = g.Count(), Bytes = g.Sum(f => f.Size) }).SingleOrDefaultAsync(ct);
            if (staged is not null && staged.Count >= limits.MaxUploadFiles)
                throw TooLarge($"An upload holds at most {limits.MaxUploadFiles:N0} files (Ingestion:MaxUploadFiles).");
            if (await db.IngestionFiles.AnyAsync(f => f.IngestionId == ingestionId && f.Path == path, ct))
            {
                throw PortalException.Conflict(ErrorCodes.PathDuplicate, $"Path {ManifestPath.Display(path)} is already part of this upload; every path appears once.",
                    new Dictionary<string, object?> { ["path"] = path });
            }
            file.Ordinal = staged?.Count ?? 0;
            db.IngestionFiles.Add(file);
            await db.SaveChangesAsync(ct);
            var remaining = limits.MaxUploadBytes - (staged?.Bytes ?? 0);
            try
            {
                file.Size = await StageAsync(staging.FileOf(ingestionId, file.Id), content, remaining, ct);
            }
            catch
            {
                File.Delete(staging.FileOf(ingestionId, file.Id));
                await db.IngestionFiles.Where(f => f.Id == file.Id).ExecuteDeleteAsync(CancellationToken.None);
                throw;
            }
            await db.IngestionFiles.Where(f => f.Id == file.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.Size, file.Size).SetProperty(f => f.Complete, true), ct);
        }
        return new IngestionFileResponse(path, file.Size);
    }

    /// <summary>Hands a receiving upload to the job. Running it twice queues it once.</summary>
    public async Task<IngestionResponse> StartAsync(ClaimsPrincipal user, string slug, Guid ingestionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ingestion = await FindOwnAsync(db, grant, ingestionId, ct);
        if (ingestion.Status == IngestionStatus.Receiving)
        {
            var files = await db.IngestionFiles.Where(f => f.IngestionId == ingestionId && f.Complete)
                .GroupBy(f => 1).Select(g => new { Count = g.Count(), Bytes = g.Sum(f => f.Size) }).SingleOrDefaultAsync(ct);
            if (files is null)
                throw PortalException.BadRequest(ErrorCodes.IngestionEmpty, "Add at least one file before starting the upload.");
            var now = clock.GetUtcNow();
            var queued = await db.Ingestions.Where(i => i.Id == ingestionId && i.Status == IngestionStatus.Receiving)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IngestionStatus.Queued).SetProperty(i => i.QueuedAt, now)
                    .SetProperty(i => i.FilesTotal, files.Count).SetProperty(i => i.BytesTotal, files.Bytes), ct);
            if (queued == 1)
                jobs.Enqueue<IngestionJob>(j => j.ExecuteAsync(ingestionId, CancellationToken.None));
        }
        return await GetAsync(user, slug, ingestionId, ct);
    }

    /// <summary>Checks every reference (path rules, duplicates, schemes, allowed roots) and queues the job.</summary>
    public async Task<IngestionResponse> CreateReferencesAsync(ClaimsPrincipal user, string slug, CreateReferenceIngestionRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var entries = request.Entries ?? [];
        if (entries.Count == 0)
            throw PortalException.BadRequest(ErrorCodes.IngestionEmpty, "List at least one entry { path, uri }.");
        if (entries.Count > options.Value.MaxReferences)
            throw TooLarge($"One request lists at most {options.Value.MaxReferences:N0} references (Ingestion:MaxReferences); got {entries.Count:N0}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            references.Check(entries[i], i + 1);
            if (!seen.Add(entries[i].Path))
            {
                throw PortalException.BadRequest(ErrorCodes.PathDuplicate, $"Path {ManifestPath.Display(entries[i].Path)} is listed twice; every path appears once.",
                    new Dictionary<string, object?> { ["path"] = entries[i].Path });
            }
        }

        var ingestion = await NewIngestionAsync(grant, request.Target, IngestionKind.References, ct);
        ingestion.StoreCopies = request.StoreCopies;
        ingestion.Status = IngestionStatus.Queued;
        ingestion.QueuedAt = ingestion.CreatedAt;
        ingestion.FilesTotal = entries.Count;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Ingestions.Add(ingestion);
        db.IngestionFiles.AddRange(entries.Select((e, i) => new IngestionFile { Id = Guid.NewGuid(), IngestionId = ingestion.Id, Ordinal = i, Path = e.Path, Uri = e.Uri, Complete = true }));
        db.Record(ingestion.CreatedAt, grant.UserId, grant.Project.Id, "ingestion.created", "ingestion", ingestion.Id.ToString(),
            after: new { kind = IngestionKinds.References, artifact = ingestion.ArtifactName, entries = entries.Count, request.StoreCopies });
        await db.SaveChangesAsync(ct);
        jobs.Enqueue<IngestionJob>(j => j.ExecuteAsync(ingestion.Id, CancellationToken.None));
        return ToResponse(ingestion, grant.Project.Slug, null);
    }

    /// <summary>Status and progress; project members may read every ingestion of the project.</summary>
    public async Task<IngestionResponse> GetAsync(ClaimsPrincipal user, string slug, Guid ingestionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ingestion = await db.Ingestions.AsNoTracking().SingleOrDefaultAsync(i => i.Id == ingestionId && i.ProjectId == grant.Project.Id, ct)
            ?? throw NotFound(ingestionId);
        int? index = ingestion.VersionId is { } versionId
            ? await db.ArtifactVersions.AsNoTracking().Where(v => v.Id == versionId).Select(v => v.Index).SingleOrDefaultAsync(ct)
            : null;
        return ToResponse(ingestion, grant.Project.Slug, index);
    }

    /// <summary>The files staged so far of an upload, in the order they arrived.</summary>
    public async Task<IReadOnlyList<IngestionFileResponse>> ListFilesAsync(ClaimsPrincipal user, string slug, Guid ingestionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Ingestions.AnyAsync(i => i.Id == ingestionId && i.ProjectId == grant.Project.Id, ct))
            throw NotFound(ingestionId);
        return await db.IngestionFiles.AsNoTracking().Where(f => f.IngestionId == ingestionId && f.Complete)
            .OrderBy(f => f.Ordinal).Select(f => new IngestionFileResponse(f.Path, f.Size)).ToListAsync(ct);
    }

    internal static IngestionResponse ToResponse(Ingestion i, string slug, int? index) => new(
        i.Id, slug, Ingestion.KindName(i.Kind), Ingestion.StatusName(i.Status), i.ArtifactName, i.FilesTotal, i.FilesDone, i.BytesTotal, i.BytesDone,
        i.ErrorCode, i.ErrorMessage, i.VersionId, index is { } n ? ArtifactNames.FormatIndex(n) : null, i.Unchanged, i.CreatedAt, i.FinishedAt);

    /// <summary>Everything about the target that can be refused before a byte is uploaded; the job's CreateVersion checks it all again.</summary>
    private async Task<Ingestion> NewIngestionAsync(ProjectAccessGrant grant, IngestionTarget? target, IngestionKind kind, CancellationToken ct)
    {
        if (target is null)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Say which artifact the version is for (target.artifactName).");
        ArtifactNames.ValidateName(target.ArtifactName);
        // The same rules as every new version, so a bad field is refused now rather than inside the ingestion's job.
        var (type, description, metadata, aliases) =
            new NewVersionFields(target.Type?.Trim(), target.Description, target.MetadataJson, target.Aliases, RunId: null).Validate();

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var existingType = await db.Artifacts.AsNoTracking().Where(a => a.ProjectId == grant.Project.Id && a.Name == target.ArtifactName).Select(a => a.Type).SingleOrDefaultAsync(ct);
            if (existingType is null && type is null)
                throw PortalException.BadRequest(ErrorCodes.ArtifactTypeInvalid, $"Artifact '{target.ArtifactName}' does not exist yet: give its type (such as dataset or model) to create it.");
            if (existingType is not null && type is not null && existingType != type)
            {
                throw PortalException.Conflict(ErrorCodes.ArtifactTypeMismatch,
                    $"Artifact '{target.ArtifactName}' has type '{existingType}', not '{type}'; use another name or the same type.");
            }
            await AliasMoves.RequireUnprotectedAsync(db, grant.Project.Id, grant.Project.Slug, target.ArtifactName, aliases, ct);
        }

        return new Ingestion
        {
            Id = Guid.NewGuid(),
            ProjectId = grant.Project.Id,
            Kind = kind,
            Status = IngestionStatus.Receiving,
            ArtifactName = target.ArtifactName,
            ArtifactType = type,
            Description = description,
            MetadataJson = metadata,
            AliasesJson = JsonSerializer.Serialize(aliases),
            CreatedById = grant.UserId,
            CreatedAt = clock.GetUtcNow(),
        };
    }

    private static async Task<Ingestion> FindOwnAsync(PortalDbContext db, ProjectAccessGrant grant, Guid ingestionId, CancellationToken ct) =>
        await db.Ingestions.AsNoTracking().SingleOrDefaultAsync(i => i.Id == ingestionId && i.ProjectId == grant.Project.Id && i.CreatedById == grant.UserId, ct)
        ?? throw NotFound(ingestionId);

    /// <summary>Copies at most <paramref name="maxBytes"/> into a new file (never over an existing one).</summary>
    private static async Task<long> StageAsync(string target, Stream content, long maxBytes, CancellationToken ct)
    {
        await using var file = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, BufferSize = 0 });
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long total = 0;
            int n;
            while ((n = await content.ReadAsync(buffer.AsMemory(0, CopyBufferSize), ct)) > 0)
            {
                total += n;
                if (total > maxBytes)
                    throw TooLarge("The upload is larger than the limit of the portal (Ingestion:MaxUploadBytes).");
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
            }
            await file.FlushAsync(ct);
            return total;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static PortalException TooLarge(string message) => new(413, ErrorCodes.IngestionTooLarge, message);

    private static PortalException NotFound(Guid id) => PortalException.NotFound(ErrorCodes.IngestionNotFound, $"No ingestion {id} exists in this project, or it is not yours.");

    private static PortalException NotReceiving(Ingestion ingestion) =>
        PortalException.Conflict(ErrorCodes.IngestionNotReceiving, $"Ingestion {ingestion.Id} is {Ingestion.StatusName(ingestion.Status)} and takes no more files; start a new upload.",
            new Dictionary<string, object?> { ["ingestionStatus"] = Ingestion.StatusName(ingestion.Status) });
}
