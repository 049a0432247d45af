using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Features.Auditing;
using Portal.Core.Storage;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// Hashes an ingestion's sources into the blob store (or, for references, only hashes them), writes the manifest,
/// and creates and commits the version through <see cref="CreateVersion"/> and <see cref="CommitVersion"/> as the
/// user who started it, so every rule of an ordinary upload applies (paths, aliases, protected aliases, audit,
/// commit observers). Idempotent: the run that claims the row does the work; a second run of a finished ingestion,
/// or of one a live worker holds, does nothing; a rerun after a crash ends on the same version (an identical
/// manifest is "unchanged" against the version the first run committed).
/// </summary>
public sealed class IngestionJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    IBlobStore blobs,
    BlobUploads blobRecords,
    CreateVersion createVersion,
    CommitVersion commitVersion,
    IngestionStaging staging,
    ReferenceSources references,
    ZipExpansion zips,
    TimeProvider clock,
    ILogger<IngestionJob> logger)
{
    /// <summary>A running row whose heartbeat is older than this belongs to a worker that died; another run may take it.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    public async Task ExecuteAsync(Guid ingestionId, CancellationToken ct)
    {
        var claim = Guid.NewGuid();
        var now = clock.GetUtcNow();
        Ingestion? ingestion;
        string slug;
        List<IngestionFile> files;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var stale = now - StaleAfter;
            var claimed = await db.Ingestions
                .Where(i => i.Id == ingestionId && (i.Status == IngestionStatus.Queued || i.Status == IngestionStatus.Running && i.HeartbeatAt < stale))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.Status, IngestionStatus.Running).SetProperty(i => i.ClaimId, claim)
                    .SetProperty(i => i.StartedAt, now).SetProperty(i => i.HeartbeatAt, now)
                    .SetProperty(i => i.FilesDone, 0L).SetProperty(i => i.BytesDone, 0L).SetProperty(i => i.Attempts, i => i.Attempts + 1), ct);
            if (claimed == 0)
                return;
            ingestion = await db.Ingestions.AsNoTracking().SingleAsync(i => i.Id == ingestionId, ct);
            slug = await db.Projects.AsNoTracking().Where(p => p.Id == ingestion.ProjectId).Select(p => p.Slug).SingleAsync(ct);
            files = await db.IngestionFiles.AsNoTracking().Where(f => f.IngestionId == ingestionId && f.Complete).OrderBy(f => f.Ordinal).ToListAsync(ct);
        }

        var progress = new IngestionProgress { FilesTotal = ingestion.FilesTotal, BytesTotal = ingestion.BytesTotal };
        using var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatAsync(ingestionId, claim, progress, stopHeartbeat.Token);
        try
        {
            await WriteManifestAsync(ingestion, files, progress, ct);
            var (versionId, unchanged) = await CreateAndCommitAsync(ingestion, slug, ct);
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            await FinishAsync(ingestion, claim, progress, versionId, unchanged, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            // Shutting down: hand the ingestion back so the next start (or Hangfire's retry) runs it again.
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.Ingestions.Where(i => i.Id == ingestionId && i.ClaimId == claim && i.Status == IngestionStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IngestionStatus.Queued).SetProperty(i => i.ClaimId, (Guid?)null), CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            var (code, message) = ex is PortalException p ? (p.Code, p.Message) : (ErrorCodes.IngestionFailed, "The ingestion could not run: " + ex.Message);
            if (ex is not PortalException)
                logger.LogError(ex, "Ingestion {IngestionId} could not run", ingestionId);
            await FailAsync(ingestion, claim, progress, code, message, ct);
        }
    }

    private async Task WriteManifestAsync(Ingestion ingestion, List<IngestionFile> files, IngestionProgress progress, CancellationToken ct)
    {
        Directory.CreateDirectory(staging.FolderOf(ingestion.Id));
        await using var output = new FileStream(staging.ManifestOf(ingestion.Id), FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
        await using var manifest = new ManifestNdjsonWriter(output, leaveOpen: true);
        var stored = new List<BlobPutResult>();
        async ValueTask RecordAsync(BlobPutResult result, CancellationToken token)
        {
            // Recorded in batches as the job goes, so a StoredBlob row always follows bytes already in the store.
            stored.Add(result);
            if (stored.Count >= 500)
            {
                await blobRecords.RecordStoredAsync(stored, ingestion.ProjectId, ingestion.CreatedById, token);
                stored.Clear();
            }
        }

        await WriteEntriesAsync(ingestion, files, manifest, progress, RecordAsync, ct);
        await blobRecords.RecordStoredAsync(stored, ingestion.ProjectId, ingestion.CreatedById, ct);
    }

    private async Task WriteEntriesAsync(Ingestion ingestion, List<IngestionFile> files, ManifestNdjsonWriter manifest, IngestionProgress progress,
        Func<BlobPutResult, CancellationToken, ValueTask> recordStored, CancellationToken ct)
    {
        if (ingestion.Kind == IngestionKind.Upload && ingestion.ExpandZip && files.Count == 1 && files[0].Path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            await zips.ExpandAsync(staging.FileOf(ingestion.Id, files[0].Id), manifest, progress, recordStored, ct);
            return;
        }

        foreach (var file in files)
        {
            ManifestEntry entry;
            if (file.Uri is null)
            {
                await using var content = new FileStream(staging.FileOf(ingestion.Id, file.Id), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });
                var stored = await blobs.PutAsync(new ProgressStream(content, progress), ct);
                await recordStored(stored, ct);
                entry = new ManifestEntry(file.Path, stored.Digest, stored.Size);
            }
            else
            {
                await using var opened = await references.OpenAsync(file.Uri, ct);
                if (opened.Length is { } length)
                    progress.AddExpectedBytes(length);
                var counted = new ProgressStream(opened.Content, progress);
                if (ingestion.StoreCopies)
                {
                    var stored = await blobs.PutAsync(counted, ct);
                    await recordStored(stored, ct);
                    entry = new ManifestEntry(file.Path, stored.Digest, stored.Size);
                }
                else
                {
                    var (digest, size) = await HashAsync(counted, ct);
                    entry = new ManifestEntry(file.Path, digest, size, file.Uri);
                }
            }
            await manifest.WriteAsync(entry, ct);
            progress.FileDone();
        }
    }

    private static async Task<(string Digest, long Size)> HashAsync(Stream content, CancellationToken ct)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            long size = 0;
            int n;
            while ((n = await content.ReadAsync(buffer.AsMemory(0, 128 * 1024), ct)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                size += n;
            }
            return (ContentDigest.ToHex(hash.GetHashAndReset()), size);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<(Guid VersionId, bool Unchanged)> CreateAndCommitAsync(Ingestion ingestion, string slug, CancellationToken ct)
    {
        // The job acts as the user who started the ingestion, with the role they hold now: a contributor removed
        // meanwhile gets the same refusal as at any upload.
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, ingestion.CreatedById)], "ingestion"));
        var aliases = JsonSerializer.Deserialize<List<string>>(ingestion.AliasesJson) ?? [];
        var fields = new NewVersionFields(ingestion.ArtifactType, ingestion.Description, ingestion.MetadataJson, aliases, null);
        CreateVersionResponse created;
        await using (var manifest = new FileStream(staging.ManifestOf(ingestion.Id), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan))
            created = await createVersion.FromNdjsonAsync(user, slug, ingestion.ArtifactName, fields, manifest, ct);
        if (created.Status == CreateVersionStatus.Unchanged)
            return (created.VersionId!.Value, true);
        var committed = await commitVersion.CommitAsync(user, slug, ingestion.ArtifactName, created.VersionId!.Value, ct);
        return (committed.Version.Id, committed.Status == CreateVersionStatus.Unchanged);
    }

    private async Task HeartbeatAsync(Guid ingestionId, Guid claim, IngestionProgress progress, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                await WriteProgressAsync(ingestionId, claim, progress, ct);
        }
        catch (OperationCanceledException)
        {
            // The job finished or stopped.
        }
    }

    private async Task WriteProgressAsync(Guid ingestionId, Guid claim, IngestionProgress progress, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var (filesDone, filesTotal, bytesDone, bytesTotal) = progress.Snapshot();
        await db.Ingestions.Where(i => i.Id == ingestionId && i.ClaimId == claim && i.Status == IngestionStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.HeartbeatAt, now)
                .SetProperty(i => i.FilesDone, filesDone).SetProperty(i => i.FilesTotal, filesTotal)
                .SetProperty(i => i.BytesDone, bytesDone).SetProperty(i => i.BytesTotal, bytesTotal), ct);
    }

    private async Task FinishAsync(Ingestion ingestion, Guid claim, IngestionProgress progress, Guid versionId, bool unchanged, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (filesDone, _, bytesDone, _) = progress.Snapshot();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var owned = await db.Ingestions.Where(i => i.Id == ingestion.Id && i.ClaimId == claim && i.Status == IngestionStatus.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.Status, IngestionStatus.Committed).SetProperty(i => i.VersionId, versionId).SetProperty(i => i.Unchanged, unchanged)
                    .SetProperty(i => i.FinishedAt, now).SetProperty(i => i.HeartbeatAt, now)
                    .SetProperty(i => i.FilesDone, filesDone).SetProperty(i => i.FilesTotal, filesDone)
                    .SetProperty(i => i.BytesDone, bytesDone).SetProperty(i => i.BytesTotal, bytesDone), ct);
            if (owned == 0)
            {
                await transaction.RollbackAsync(ct);
                return;
            }
            db.Record(now, ingestion.CreatedById, ingestion.ProjectId, "ingestion.committed", "ingestion", ingestion.Id.ToString(),
                after: new { artifact = ingestion.ArtifactName, versionId, unchanged, files = filesDone, bytes = bytesDone });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        });
        staging.Delete(ingestion.Id);
    }

    private async Task FailAsync(Ingestion ingestion, Guid claim, IngestionProgress progress, string code, string message, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (filesDone, filesTotal, bytesDone, bytesTotal) = progress.Snapshot();
        if (message.Length > 2000)
            message = message[..1999] + "…";
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var owned = await db.Ingestions.Where(i => i.Id == ingestion.Id && i.ClaimId == claim && i.Status == IngestionStatus.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.Status, IngestionStatus.Failed).SetProperty(i => i.ErrorCode, code).SetProperty(i => i.ErrorMessage, message)
                    .SetProperty(i => i.FinishedAt, now).SetProperty(i => i.HeartbeatAt, now)
                    .SetProperty(i => i.FilesDone, filesDone).SetProperty(i => i.FilesTotal, filesTotal)
                    .SetProperty(i => i.BytesDone, bytesDone).SetProperty(i => i.BytesTotal, bytesTotal), CancellationToken.None);
            if (owned == 0)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return;
            }
            db.Record(now, ingestion.CreatedById, ingestion.ProjectId, "ingestion.failed", "ingestion", ingestion.Id.ToString(),
                after: new { artifact = ingestion.ArtifactName, code, message });
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        });
        staging.Delete(ingestion.Id);
    }
}

/// <summary>What the job has done so far; written by the job's thread, read by its heartbeat.</summary>
public sealed class IngestionProgress
{
    private long _filesDone;
    private long _bytesDone;
    private long _filesTotal;
    private long _bytesTotal;

    public long FilesTotal { get => Interlocked.Read(ref _filesTotal); set => Interlocked.Exchange(ref _filesTotal, value); }

    public long BytesTotal { get => Interlocked.Read(ref _bytesTotal); set => Interlocked.Exchange(ref _bytesTotal, value); }

    public void FileDone() => Interlocked.Increment(ref _filesDone);

    public void BytesRead(long count) => Interlocked.Add(ref _bytesDone, count);

    /// <summary>References learn their size only when opened; the total grows as they do.</summary>
    public void AddExpectedBytes(long count) => Interlocked.Add(ref _bytesTotal, count);

    public (long FilesDone, long FilesTotal, long BytesDone, long BytesTotal) Snapshot()
    {
        var bytesDone = Interlocked.Read(ref _bytesDone);
        return (Interlocked.Read(ref _filesDone), FilesTotal, bytesDone, Math.Max(bytesDone, BytesTotal));
    }
}

/// <summary>A read-only pass-through that counts the bytes read into an <see cref="IngestionProgress"/>.</summary>
internal sealed class ProgressStream(Stream inner, IngestionProgress progress) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        progress.BytesRead(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        progress.BytesRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
