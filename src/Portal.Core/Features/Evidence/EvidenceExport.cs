using System.IO.Compression;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Evidence;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Lineage;

namespace Portal.Core.Features.Evidence;

/// <summary>What to export: <see cref="Version"/> (<c>artifact:vN|alias|id</c>) or <see cref="Alias"/> (<c>artifact:alias</c>) at <see cref="At"/> (default now).</summary>
public sealed record EvidenceRequest(string? Version = null, string? Alias = null, DateTimeOffset? At = null);

/// <summary>The pack written: a file name to offer, the signed digest (SHA-256 of checksums.sha256) and the signing key.</summary>
public sealed record EvidencePackInfo(string FileName, string SignedDigest, string KeyId, Guid VersionId);

/// <summary>
/// Builds a signed evidence pack for a version: the version and its upstream lineage (nodes the caller cannot read are
/// redacted, never named), validations, compare reports, promotions with approvals and comments, alias history,
/// evaluations, the audit records covering them with the chain head, each readable version's manifest, a readable HTML
/// report, a checksum per file and a signature over the checksums. The export is itself an audit event.
/// </summary>
public sealed class EvidenceExport(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, EvidenceKeys keys, TimeProvider clock)
{
    internal const int Chunk = 500;
    private const int MaxFindingsPerVersion = 100;
    private const string NoAccess = "no access";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private static readonly JsonSerializerOptions Line = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async Task<EvidencePackInfo> ExportAsync(ClaimsPrincipal user, string slug, EvidenceRequest request, Stream output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (artifact, subject, alias, at) = await ResolveSubjectAsync(db, grant, request, now, ct);

        // The head first: records appended while the pack is built are beyond it and left out.
        var head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.Id == 1, ct);
        var reach = await LineageReach.WalkAsync(db, LineageNodeId.Version(subject.Id), LineageWalkDirection.Up, ct);
        var distances = new Dictionary<Guid, int>(reach.Versions) { [subject.Id] = 0 };
        var versionRows = await LoadVersionsAsync(db, distances.Keys.ToList(), ct);
        var runRows = await LoadRunsAsync(db, reach.Runs.Keys.ToList(), ct);
        var readable = await ReadableProjectsAsync(user, versionRows.Select(v => v.ProjectId).Concat(runRows.Select(r => r.ProjectId)), ct);

        var versions = new List<EvidenceVersion>();
        foreach (var v in versionRows.OrderBy(v => distances[v.Id]).ThenBy(v => v.Artifact, StringComparer.Ordinal).ThenBy(v => v.Index))
        {
            versions.Add(readable.Contains(v.ProjectId)
                ? new EvidenceVersion(v.Id, distances[v.Id], null, null, v.Slug, v.Artifact, v.Type, v.Index is { } i ? ArtifactNames.FormatIndex(i) : null,
                    v.ManifestDigest, v.FileCount, v.TotalSize, ParseJson(v.MetadataJson), v.CreatedAt, v.CommittedAt, v.CreatedByRunId,
                    EvidencePackFiles.Manifest(v.Id))
                : new EvidenceVersion(v.Id, distances[v.Id], true, NoAccess));
        }
        var runs = runRows.OrderBy(r => reach.Runs[r.Id]).ThenBy(r => r.StartedAt)
            .Select(r => readable.Contains(r.ProjectId)
                ? new EvidenceRun(r.Id, reach.Runs[r.Id], null, null, r.Slug, r.Name, r.JobType, r.Status.ToString().ToLowerInvariant(), ParseJson(r.ConfigJson),
                    r.GitCommit, r.GitRemote, r.Host, r.StartedAt, r.FinishedAt, r.CreatedBy)
                : new EvidenceRun(r.Id, reach.Runs[r.Id], true, NoAccess))
            .ToList();
        var readableVersionIds = versions.Where(v => v.Redacted is null).Select(v => v.Id).ToList();
        var readableRunIds = runs.Where(r => r.Redacted is null).Select(r => r.Id).ToList();

        var edges = await LoadEdgesAsync(db, reach.Runs.Keys.ToList(), distances, ct);
        var validations = await LoadValidationsAsync(db, readableVersionIds, ct);
        var compareReports = await LoadCompareReportsAsync(db, readableVersionIds, ct);
        var promotions = await LoadPromotionsAsync(db, readableVersionIds, ct);
        var aliasHistory = await LoadAliasHistoryAsync(db, artifact, subject.Id, alias, now, ct);
        var evaluations = await LoadEvaluationsAsync(db, readableVersionIds, ct);

        var targets = new Dictionary<string, List<string>>(StringComparer.Ordinal)
        {
            ["artifact_version"] = readableVersionIds.Select(id => id.ToString()).ToList(),
            ["run"] = readableRunIds.Select(id => id.ToString()).ToList(),
            ["promotion_request"] = promotions.Select(p => p.Id.ToString()).ToList(),
            ["compare_report"] = compareReports.Select(c => c.Id.ToString()).ToList(),
            ["evaluation"] = evaluations.Select(e => e.Id.ToString()).ToList(),
            ["artifact_alias"] = aliasHistory.Select(m => $"{artifact.Id}/{m.Alias}").Distinct(StringComparer.Ordinal).ToList(),
        };
        var records = await LoadAuditRecordsAsync(db, targets, readable, head.Sequence, ct);

        var me = await db.Users.AsNoTracking().Where(u => u.Id == grant.UserId).Select(u => new { u.DisplayName, u.Email }).SingleAsync(ct);
        var document = new EvidenceDocument(EvidencePackFiles.Format, now, $"{me.DisplayName} <{me.Email}>",
            new EvidenceSubject(grant.Project.Slug, artifact.Name, subject.Id, ArtifactNames.FormatIndex(subject.Index!.Value), subject.ManifestDigest, alias, at),
            versions, runs, edges, validations, compareReports, promotions, aliasHistory, evaluations);
        var audit = new EvidenceAuditFile(new EvidenceChainHead(head.Sequence, head.Hash), records);

        var checksums = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            await WriteEntryAsync(zip, EvidencePackFiles.Evidence, checksums, s => JsonSerializer.SerializeAsync(s, document, Json, ct));
            await WriteEntryAsync(zip, EvidencePackFiles.Audit, checksums, s => JsonSerializer.SerializeAsync(s, audit, Json, ct));
            await WriteEntryAsync(zip, EvidencePackFiles.Html, checksums, async s =>
            {
                await using var writer = new StreamWriter(s, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
                EvidenceHtml.Write(document, audit, writer);
                await writer.FlushAsync(ct);
            });
            using (var pdf = new MemoryStream())
            {
                if (EvidencePdf.TryWrite(document, audit, pdf))
                    await WriteEntryAsync(zip, EvidencePackFiles.Pdf, checksums, s => s.WriteAsync(pdf.GetBuffer().AsMemory(0, (int)pdf.Length), ct).AsTask());
            }
            foreach (var version in versions.Where(v => v.Manifest is not null))
                await WriteEntryAsync(zip, version.Manifest!, checksums, s => WriteManifestAsync(db, version.Id, s, ct));

            var checksumBytes = Encoding.UTF8.GetBytes(string.Concat(checksums.Select(c => $"{c.Value}  {c.Key}\n")));
            var signature = await keys.SignAsync(checksumBytes, ct);
            await WriteEntryAsync(zip, EvidencePackFiles.Checksums, null, s => s.WriteAsync(checksumBytes, ct).AsTask());
            await WriteEntryAsync(zip, EvidencePackFiles.Signature, null, s => JsonSerializer.SerializeAsync(s, signature, Json, ct));

            db.Record(clock.GetUtcNow(), grant.UserId, grant.Project.Id, "evidence.exported", "artifact_version", subject.Id.ToString(),
                after: new { artifact = artifact.Name, version = document.Subject.Version, alias, at, signedDigest = signature.SignedDigest, keyId = signature.KeyId, chainHead = head.Sequence });
            await db.SaveChangesAsync(ct);
            var file = $"evidence-{grant.Project.Slug}-{artifact.Name}-{document.Subject.Version}-{now.UtcDateTime:yyyyMMdd-HHmmss}.zip";
            return new EvidencePackInfo(file, signature.SignedDigest, signature.KeyId, subject.Id);
        }
    }

    private static async Task<(Artifact Artifact, ArtifactVersion Version, string? Alias, DateTimeOffset? At)> ResolveSubjectAsync(
        PortalDbContext db, ProjectAccessGrant grant, EvidenceRequest request, DateTimeOffset now, CancellationToken ct)
    {
        if ((request.Version is null) == (request.Alias is null))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "Name either version=<artifact:version> or alias=<artifact:alias> (with at=<time> for the alias at a time).");
        if (request.Version is not null && request.At is not null)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "at= goes with alias=<artifact:alias>; a version is the same at every time.");
        var spec = request.Version ?? request.Alias!;
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == spec.Length - 1)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"'{spec}' is not artifact:version or artifact:alias (e.g. corpus:v3, corpus:production).");
        var (name, reference) = (spec[..colon], spec[(colon + 1)..]);
        var artifact = await ArtifactCatalog.FindAsync(db, grant, name, ct);
        if (request.Version is not null)
        {
            var version = await VersionQueries.ResolveAsync(db, artifact.Id, reference, ct)
                ?? throw PortalException.NotFound(ErrorCodes.VersionNotFound, $"Artifact '{name}' has no committed version '{reference}'.");
            return (artifact, version, null, null);
        }

        var at = request.At ?? now;
        var pointedAt = await ArtifactAliases.LastEventAt(db, artifact.Id, reference, at).Select(e => new { e.ToVersionId }).FirstOrDefaultAsync(ct);
        var target = pointedAt?.ToVersionId is { } id
            ? await db.ArtifactVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == id && v.State == VersionState.Committed, ct)
            : null;
        return target is null
            ? throw PortalException.NotFound(ErrorCodes.AliasNotFound, $"Alias '{reference}' of artifact '{name}' did not point at any version at {at:O}.")
            : (artifact, target, reference, at);
    }

    private sealed record VersionRow(
        Guid Id, Guid ProjectId, string Slug, string Artifact, string Type, int? Index, string ManifestDigest, long FileCount, long TotalSize,
        string MetadataJson, DateTimeOffset CreatedAt, DateTimeOffset? CommittedAt, Guid? CreatedByRunId);

    private static async Task<List<VersionRow>> LoadVersionsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var rows = new List<VersionRow>();
        foreach (var part in ids.Chunk(Chunk))
        {
            rows.AddRange(await db.ArtifactVersions.AsNoTracking().Where(v => part.Contains(v.Id))
                .Select(v => new VersionRow(v.Id, v.Artifact.ProjectId, v.Artifact.Project.Slug, v.Artifact.Name, v.Artifact.Type, v.Index, v.ManifestDigest,
                    v.FileCount, v.TotalSize, v.MetadataJson, v.CreatedAt, v.CommittedAt, v.CreatedByRunId))
                .ToListAsync(ct));
        }
        return rows;
    }

    private sealed record RunRow(
        Guid Id, Guid ProjectId, string Slug, string Name, string JobType, Runs.RunStatus Status, string ConfigJson, string? GitCommit, string? GitRemote,
        string? Host, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? CreatedBy);

    private static async Task<List<RunRow>> LoadRunsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var rows = new List<RunRow>();
        foreach (var part in ids.Chunk(Chunk))
        {
            rows.AddRange(await db.Runs.AsNoTracking().Where(r => part.Contains(r.Id))
                .Select(r => new RunRow(r.Id, r.ProjectId, r.Project.Slug, r.Name, r.JobType, r.Status, r.ConfigJson, r.GitCommit, r.GitRemote, r.Host,
                    r.StartedAt, r.FinishedAt, r.CreatedBy == null ? null : r.CreatedBy.DisplayName))
                .ToListAsync(ct));
        }
        return rows;
    }

    private async Task<HashSet<Guid>> ReadableProjectsAsync(ClaimsPrincipal user, IEnumerable<Guid> projectIds, CancellationToken ct)
    {
        var readable = new HashSet<Guid>();
        foreach (var id in projectIds.Distinct())
        {
            if (await ProjectAccess.EffectiveRoleAsync(dbFactory, user, id, ct) is not null)
                readable.Add(id);
        }
        return readable;
    }

    private static async Task<List<EvidenceEdge>> LoadEdgesAsync(PortalDbContext db, List<Guid> runIds, Dictionary<Guid, int> versions, CancellationToken ct)
    {
        var edges = new List<EvidenceEdge>();
        foreach (var part in runIds.Chunk(Chunk))
        {
            var rows = await db.LineageEdges.AsNoTracking().Where(e => part.Contains(e.RunId))
                .Select(e => new { e.RunId, e.VersionId, e.Direction }).ToListAsync(ct);
            edges.AddRange(rows.Where(e => versions.ContainsKey(e.VersionId))
                .Select(e => new EvidenceEdge(e.RunId, e.VersionId, e.Direction == LineageDirection.Used ? "used" : "produced")));
        }
        return edges.OrderBy(e => e.RunId).ThenBy(e => e.VersionId).ToList();
    }

    private static async Task<List<EvidenceValidation>> LoadValidationsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var result = new List<EvidenceValidation>();
        foreach (var part in ids.Chunk(Chunk))
        {
            var validations = await db.VersionValidations.AsNoTracking().Where(v => part.Contains(v.VersionId)).ToListAsync(ct);
            var findings = (await db.ValidationFindings.AsNoTracking().Where(f => part.Contains(f.VersionId) && f.Ordinal < MaxFindingsPerVersion).ToListAsync(ct))
                .ToLookup(f => f.VersionId);
            result.AddRange(validations.Select(v => new EvidenceValidation(v.VersionId, v.State.ToString().ToLowerInvariant(), v.Summary, v.Errors, v.Warnings, v.Infos,
                v.FilesScanned, v.RowsScanned, v.FinishedAt,
                findings[v.VersionId].OrderBy(f => f.Ordinal).Select(f => new EvidenceFinding(f.Check, f.Code, f.Severity, f.Message, f.Path, f.Count)).ToList())));
        }
        return result.OrderBy(v => ids.IndexOf(v.VersionId)).ToList();
    }

    private static async Task<List<EvidenceCompareReport>> LoadCompareReportsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var result = new List<EvidenceCompareReport>();
        foreach (var part in ids.Chunk(Chunk))
        {
            var rows = await db.CompareReports.AsNoTracking().Where(c => part.Contains(c.ToVersionId)).ToListAsync(ct);
            result.AddRange(rows.Select(c => new EvidenceCompareReport(c.Id, c.FromVersionId, c.ToVersionId, c.State.ToString().ToLowerInvariant(), c.Summary, c.FinishedAt)));
        }
        return result.OrderBy(c => ids.IndexOf(c.ToVersionId)).ThenBy(c => c.Id).ToList();
    }

    private static async Task<List<EvidencePromotion>> LoadPromotionsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var result = new List<EvidencePromotion>();
        foreach (var part in ids.Chunk(Chunk))
        {
            var requests = await db.PromotionRequests.AsNoTracking().Where(p => part.Contains(p.VersionId)).ToListAsync(ct);
            if (requests.Count == 0)
                continue;
            var requestIds = requests.Select(r => r.Id).ToList();
            var approvals = (await db.PromotionApprovals.AsNoTracking().Where(a => requestIds.Contains(a.RequestId)).ToListAsync(ct)).ToLookup(a => a.RequestId);
            var comments = (await db.PromotionComments.AsNoTracking().Where(c => requestIds.Contains(c.RequestId)).ToListAsync(ct)).ToLookup(c => c.RequestId);
            var artifactIds = requests.Select(r => r.ArtifactId).Distinct().ToList();
            var artifacts = await db.Artifacts.AsNoTracking().Where(a => artifactIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
            var userIds = requests.Select(r => r.RequestedById).Concat(requests.Select(r => r.ReviewedById).OfType<string>())
                .Concat(approvals.SelectMany(a => a).Select(a => a.UserId)).Concat(comments.SelectMany(c => c).Select(c => c.AuthorId)).Distinct().ToList();
            var names = await UserNamesAsync(db, userIds, ct);
            result.AddRange(requests.Select(r => new EvidencePromotion(r.Id, r.VersionId, artifacts.GetValueOrDefault(r.ArtifactId, ""), r.AliasName,
                r.Kind.ToString().ToLowerInvariant(), r.State.ToString().ToLowerInvariant(), names.GetValueOrDefault(r.RequestedById, r.RequestedById), r.Comment, r.Emergency,
                r.CreatedAt, r.ReviewedAt, r.ReviewedById is null ? null : names.GetValueOrDefault(r.ReviewedById, r.ReviewedById), r.AppliedAt,
                approvals[r.Id].OrderBy(a => a.At).Select(a => new EvidenceApproval(a.UserId, names.GetValueOrDefault(a.UserId, a.UserId), a.Comment, a.At)).ToList(),
                comments[r.Id].OrderBy(c => c.At).ThenBy(c => c.Id).Select(c => new EvidenceComment(names.GetValueOrDefault(c.AuthorId, c.AuthorId), c.Kind, c.Text, c.At)).ToList())));
        }
        return result.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).ToList();
    }

    private static async Task<List<EvidenceAliasMove>> LoadAliasHistoryAsync(
        PortalDbContext db, Artifact artifact, Guid subjectId, string? alias, DateTimeOffset now, CancellationToken ct)
    {
        // "alias at time": that alias's whole history up to the export; a version: every move onto or off it.
        var query = db.AliasEvents.AsNoTracking().Where(e => e.ArtifactId == artifact.Id && e.At <= now);
        query = alias is not null
            ? query.Where(e => e.AliasName == alias)
            : query.Where(e => e.ToVersionId == subjectId || e.FromVersionId == subjectId);
        var events = await query.OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(ct);
        var versionIds = events.SelectMany(e => new[] { e.FromVersionId, e.ToVersionId }).OfType<Guid>().Distinct().ToList();
        var indexes = await db.ArtifactVersions.AsNoTracking().Where(v => versionIds.Contains(v.Id) && v.Index != null)
            .ToDictionaryAsync(v => v.Id, v => v.Index!.Value, ct);
        var names = await UserNamesAsync(db, events.Select(e => e.ActorId).OfType<string>().Distinct().ToList(), ct);
        string? Label(Guid? id) => id is { } v && indexes.TryGetValue(v, out var index) ? ArtifactNames.FormatIndex(index) : null;
        return events.Select(e => new EvidenceAliasMove(artifact.Name, e.AliasName, e.FromVersionId, Label(e.FromVersionId), e.ToVersionId, Label(e.ToVersionId),
            e.ActorId is null ? "the portal" : names.GetValueOrDefault(e.ActorId, e.ActorId), e.At, e.Reason, e.PromotionRequestId)).ToList();
    }

    private static async Task<List<EvidenceEvaluation>> LoadEvaluationsAsync(PortalDbContext db, List<Guid> ids, CancellationToken ct)
    {
        var result = new List<EvidenceEvaluation>();
        foreach (var part in ids.Chunk(Chunk))
        {
            var rows = await db.Evaluations.AsNoTracking().Include(e => e.Scores).Where(e => part.Contains(e.SubjectVersionId)).ToListAsync(ct);
            result.AddRange(rows.Select(e => new EvidenceEvaluation(e.Id, e.Name, e.SubjectVersionId, e.EvalSetSpec, e.ExampleCount, e.RowsDigest, e.CreatedAt,
                e.Scores.OrderBy(s => s.Ordinal).Select(s => new EvidenceScore(s.Scorer, s.Count, s.Mean, s.Min, s.Max)).ToList())));
        }
        return result.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToList();
    }

    private static async Task<List<EvidenceAuditRecord>> LoadAuditRecordsAsync(
        PortalDbContext db, Dictionary<string, List<string>> targets, HashSet<Guid> readable, long headSequence, CancellationToken ct)
    {
        var records = new List<AuditEvent>();
        foreach (var (type, ids) in targets)
        {
            foreach (var part in ids.Chunk(Chunk))
            {
                // Served by the (TargetType, TargetId) index.
                records.AddRange(await db.AuditEvents.AsNoTracking()
                    .Where(e => e.TargetType == type && part.Contains(e.TargetId) && e.Sequence <= headSequence)
                    .ToListAsync(ct));
            }
        }
        return records
            .Where(e => e.ProjectId is null || readable.Contains(e.ProjectId.Value))
            .DistinctBy(e => e.Sequence)
            .OrderBy(e => e.Sequence)
            .Select(e => new EvidenceAuditRecord(e.Sequence, e.ProjectId, e.ActorId, e.Action, e.TargetType, e.TargetId, e.BeforeJson, e.AfterJson,
                AuditRecordHash.FormatTime(e.At), e.PreviousHash, e.Hash))
            .ToList();
    }

    private static async Task<Dictionary<string, string>> UserNamesAsync(PortalDbContext db, List<string> ids, CancellationToken ct)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in ids.Chunk(Chunk))
        {
            foreach (var u in await db.Users.AsNoTracking().Where(u => part.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName, u.Email }).ToListAsync(ct))
                names[u.Id] = string.IsNullOrEmpty(u.DisplayName) ? u.Email ?? u.Id : u.DisplayName;
        }
        return names;
    }

    /// <summary>The version's manifest as the manifest download writes it: its entries in order, one JSON object a line, a range at a time.</summary>
    private static async Task WriteManifestAsync(PortalDbContext db, Guid versionId, Stream output, CancellationToken ct)
    {
        var ranges = await db.VersionRanges.AsNoTracking().Where(r => r.VersionId == versionId).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync(ct);
        await using var manifest = new ManifestNdjsonWriter(output, leaveOpen: true);
        foreach (var range in ranges)
        {
            foreach (var entry in await VersionManifest.LoadRangeEntriesAsync(db, range, ct))
                await manifest.WriteAsync(entry, ct);
        }
    }

    private static async Task WriteEntryAsync(ZipArchive zip, string name, SortedDictionary<string, string>? checksums, Func<Stream, Task> write)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var stream = entry.Open();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var hashing = new HashingStream(stream, hash))
            await write(hashing);
        checksums?.Add(name, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static JsonElement? ParseJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json);
        }
    }

    /// <summary>Passes writes on to the zip entry and hashes them on the way (disposing it leaves the entry's stream to its owner).</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
