using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// The one unit of work for every write to an artifact's versions and aliases (commits, aborts, pending inserts, alias
/// moves, promotion steps, retention, expiry). It owns what each of them needs and none should write again:
/// <list type="bullet">
/// <item>a fresh <see cref="PortalDbContext"/> run under the provider's execution strategy, in one transaction;</item>
/// <item>the artifact row's write lock (a no-op UPDATE) taken first, before the audit chain's, so all writers of one
/// artifact queue in one order and cannot deadlock, and indexes stay consecutive;</item>
/// <item>a retry from the start, with jittered back-off, when another writer won a race (a unique key, the
/// <see cref="Artifact.NextVersionIndex"/> concurrency token, a deadlock or serialization failure);</item>
/// <item>actions that run once, after the transaction committed (notifications, observers), never on a rolled-back
/// attempt; their failures are logged, since the write stands whatever they do.</item>
/// </list>
/// </summary>
public sealed class ArtifactWrites(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock, ILogger<ArtifactWrites> logger)
{
    /// <summary>Attempts of one unit of work before a lost race is reported as the error it is.</summary>
    public const int MaxAttempts = 8;

    /// <summary>Runs <paramref name="work"/> on the artifact named <paramref name="name"/> in the grant's project.</summary>
    public Task<T> RunAsync<T>(ProjectAccessGrant grant, string name, Func<ArtifactWrite, Task<T>> work, CancellationToken ct) =>
        RunAsync(async db => (await ArtifactCatalog.FindAsync(db, grant, name, ct)).Id, work, ct);

    /// <summary>Runs <paramref name="work"/> on the artifact with <paramref name="artifactId"/> (404 <c>artifact_not_found</c> when it is gone).</summary>
    public Task<T> RunAsync<T>(Guid artifactId, Func<ArtifactWrite, Task<T>> work, CancellationToken ct) =>
        RunAsync(_ => Task.FromResult(artifactId), work, ct);

    private async Task<T> RunAsync<T>(Func<PortalDbContext, Task<Guid>> find, Func<ArtifactWrite, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ArtifactWrite? write = null;
            T result;
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                result = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    db.ChangeTracker.Clear();
                    await using var transaction = await db.Database.BeginTransactionAsync(ct);
                    var artifactId = await find(db);
                    await LockRowAsync(db, artifactId, ct);
                    var artifact = await db.Artifacts.SingleOrDefaultAsync(a => a.Id == artifactId, ct)
                        ?? throw PortalException.NotFound(ErrorCodes.ArtifactNotFound, $"Artifact {artifactId} no longer exists.");
                    write = new ArtifactWrite(db, artifact, clock.GetUtcNow());
                    var value = await work(write);
                    await db.SaveChangesAsync(ct);
                    await transaction.CommitAsync(ct);
                    return value;
                });
            }
            catch (Exception ex) when (attempt < MaxAttempts && DatabaseErrors.IsWriteConflict(ex))
            {
                // Jittered, growing back-off, so that parallel writers do not collide again in lock-step.
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
                continue;
            }
            await RunAfterCommitAsync(write!, ct);
            return result;
        }
    }

    private async Task RunAfterCommitAsync(ArtifactWrite write, CancellationToken ct)
    {
        foreach (var (description, action) in write.AfterCommitActions)
        {
            try
            {
                await action(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "After the commit of a write to artifact {ArtifactId}, {Action} failed; the write stands", write.Artifact.Id, description);
            }
        }
    }

    /// <summary>The artifact row's write lock: a no-op UPDATE, held until the transaction ends.</summary>
    private static Task LockRowAsync(PortalDbContext db, Guid artifactId, CancellationToken ct) =>
        db.Artifacts.Where(a => a.Id == artifactId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.NextVersionIndex, a => a.NextVersionIndex), ct);
}

/// <summary>One attempt of an <see cref="ArtifactWrites"/> unit: the context, the locked (tracked) artifact, one clock reading.</summary>
public sealed class ArtifactWrite(PortalDbContext db, Artifact artifact, DateTimeOffset now)
{
    public PortalDbContext Db { get; } = db;

    /// <summary>The artifact, read after its lock was taken, tracked: changes to it are saved with the unit.</summary>
    public Artifact Artifact { get; } = artifact;

    /// <summary>The time every record of this unit carries.</summary>
    public DateTimeOffset Now { get; } = now;

    internal List<(string Description, Func<CancellationToken, Task> Action)> AfterCommitActions { get; } = [];

    /// <summary>Runs <paramref name="action"/> once the unit has committed (not when it fails or is retried).</summary>
    public void AfterCommit(string description, Func<CancellationToken, Task> action) => AfterCommitActions.Add((description, action));

    /// <summary>The alias row of this artifact named <paramref name="alias"/>, tracked, or null.</summary>
    public Task<ArtifactAlias?> FindAliasAsync(string alias, CancellationToken ct) =>
        Db.Aliases.SingleOrDefaultAsync(a => a.ArtifactId == Artifact.Id && a.Name == alias, ct);

    /// <summary>
    /// Points <paramref name="alias"/> at <paramref name="toVersionId"/> (null removes it) and leaves its alias event and
    /// domain event; nothing when it already points there. Returns where it pointed before.
    /// </summary>
    public async Task<Guid?> MoveAliasAsync(string alias, Guid? toVersionId, string actorId, string reason, CancellationToken ct, Guid? promotionRequestId = null)
    {
        var existing = await FindAliasAsync(alias, ct);
        var before = existing?.VersionId;
        AliasMoves.Move(Db, Artifact.Id, existing, alias, toVersionId, actorId, Now, reason, promotionRequestId);
        return before;
    }
}
