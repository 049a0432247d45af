using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Runs;

namespace Portal.TestCommon;

/// <summary>
/// Builds a lineage graph of committed versions, runs and edges straight into the database (uploading content is
/// not what lineage tests are about), so tests and benchmarks can make graphs of any shape and size.
/// </summary>
public sealed class TestLineage(Guid projectId)
{
    private readonly List<Artifact> _artifacts = [];
    private readonly List<ArtifactVersion> _versions = [];
    private readonly List<Run> _runs = [];
    private readonly List<LineageEdge> _edges = [];
    private readonly HashSet<(Guid RunId, Guid VersionId, LineageDirection Direction)> _edgeKeys = [];
    private readonly List<ArtifactAlias> _aliases = [];
    private readonly Dictionary<Guid, Artifact> _artifactOf = [];
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow.AddDays(-30);
    private int _tick;

    public int NodeCount => _versions.Count + _runs.Count;

    public int EdgeCount => _edges.Count;

    /// <summary>A new artifact; returns its id.</summary>
    public Guid Artifact(string name, string type)
    {
        var artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = projectId, Name = name, Type = type, CreatedAt = Next() };
        _artifacts.Add(artifact);
        return artifact.Id;
    }

    /// <summary>The next committed vN of the artifact; returns the version id.</summary>
    public Guid Version(Guid artifactId)
    {
        var artifact = _artifacts.Single(a => a.Id == artifactId);
        var id = Guid.NewGuid();
        var at = Next();
        _versions.Add(new ArtifactVersion
        {
            Id = id,
            ArtifactId = artifactId,
            Index = artifact.NextVersionIndex++,
            ManifestDigest = Convert.ToHexStringLower(SHA256.HashData(id.ToByteArray())),
            State = VersionState.Committed,
            CreatedAt = at,
            CommittedAt = at,
        });
        _artifactOf[id] = artifact;
        return id;
    }

    public Guid Run(string name, string jobType, RunStatus status = RunStatus.Finished)
    {
        var at = Next();
        var run = new Run { Id = Guid.NewGuid(), ProjectId = projectId, Name = name, JobType = jobType, Status = status, StartedAt = at, FinishedAt = status == RunStatus.Running ? null : at };
        _runs.Add(run);
        return run.Id;
    }

    public void Used(Guid runId, Guid versionId) => Edge(runId, versionId, LineageDirection.Used);

    public void Produced(Guid runId, Guid versionId) => Edge(runId, versionId, LineageDirection.Produced);

    public void Alias(Guid versionId, string name) =>
        _aliases.Add(new ArtifactAlias { Id = Guid.NewGuid(), ArtifactId = _artifactOf[versionId].Id, Name = name, VersionId = versionId, UpdatedAt = Next() });

    /// <summary>Writes everything in batches, each in its own context so change tracking stays small.</summary>
    public async Task SaveAsync(IServiceProvider services, int batchSize = 5000)
    {
        await using var scope = services.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        foreach (var artifact in _artifacts)
            artifact.Versions = [];
        await SaveInBatchesAsync(factory, _artifacts, (db, batch) => db.Artifacts.AddRange(batch), batchSize);
        await SaveInBatchesAsync(factory, _versions, (db, batch) => db.ArtifactVersions.AddRange(batch), batchSize);
        await SaveInBatchesAsync(factory, _runs, (db, batch) => db.Runs.AddRange(batch), batchSize);
        await SaveInBatchesAsync(factory, _edges, (db, batch) => db.LineageEdges.AddRange(batch), batchSize);
        await SaveInBatchesAsync(factory, _aliases, (db, batch) => db.Aliases.AddRange(batch), batchSize);
    }

    private static async Task SaveInBatchesAsync<T>(IDbContextFactory<PortalDbContext> factory, List<T> items, Action<PortalDbContext, IEnumerable<T>> add, int batchSize)
    {
        foreach (var batch in items.Chunk(batchSize))
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            add(db, batch);
            await db.SaveChangesAsync();
        }
    }

    /// <summary>Adds the edge once; the same edge again is ignored, as the API's idempotent "use" does.</summary>
    private void Edge(Guid runId, Guid versionId, LineageDirection direction)
    {
        if (_edgeKeys.Add((runId, versionId, direction)))
            _edges.Add(new LineageEdge { ProjectId = projectId, RunId = runId, VersionId = versionId, Direction = direction, CreatedAt = Next() });
    }

    // Distinct, increasing times, so "newest first" is well defined.
    private DateTimeOffset Next() => _start.AddSeconds(++_tick);
}
