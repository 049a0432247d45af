using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Storage;

namespace Portal.Core.Features.Evaluations;

/// <summary>
/// Logs a finished evaluation from an NDJSON stream: the first line is the <see cref="EvaluationHeader"/>, every
/// later line one <see cref="EvaluationRow"/>. The subject and the eval set are resolved to committed versions when
/// the header is read (the eval set pinned by id, the spec kept); a bad row is refused with a problem naming its line,
/// and nothing is stored. The rows are sorted by example id, stored as one content-addressed blob, and the server
/// computes the aggregates; the evaluation is immutable from then on.
/// </summary>
public sealed class LogEvaluation(
    IDbContextFactory<PortalDbContext> dbFactory,
    ProjectAccess access,
    VersionSpecs specs,
    IBlobStore store,
    EvaluationQueries queries,
    TimeProvider clock)
{
    /// <summary>Most examples one evaluation may have.</summary>
    public const int MaxExamples = 2_000_000;

    public const int MaxScorers = 32;

    private static readonly JsonSerializerOptions HeaderJson = new(JsonSerializerDefaults.Web);

    public async Task<EvaluationResponse> FromNdjsonAsync(ClaimsPrincipal user, string slug, Stream body, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        EvaluationHeader? header = null;
        Dictionary<string, int>? scorerIndex = null;
        var rows = new List<EvaluationExample>();
        await EvaluationRowsFile.ReadLinesAsync(body, (line, number) =>
        {
            if (header is null)
            {
                header = ParseHeader(line, number);
                scorerIndex = EvaluationRowsFile.Index(header.Scorers);
                return;
            }
            if (rows.Count >= MaxExamples)
            {
                throw new PortalException(413, ErrorCodes.EvaluationTooLarge,
                    $"Evaluation line {number}: an evaluation has at most {MaxExamples:N0} examples; split the eval set.");
            }
            rows.Add(EvaluationRowsFile.ParseRow(line, number, scorerIndex!));
        }, ct);
        if (header is null)
            throw EvaluationRowsFile.Malformed(1, "the body is empty; the first line must be the header {\"subject\":…,\"evalSet\":…,\"scorers\":[…]}");
        return await SaveAsync(user, grant, header, rows, ct);
    }

    /// <summary>The same from rows already in memory (the demo, tests).</summary>
    public async Task<EvaluationResponse> FromRowsAsync(ClaimsPrincipal user, string slug, EvaluationHeader header, IEnumerable<EvaluationRow> rows, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        ValidateHeader(header, 1);
        var index = EvaluationRowsFile.Index(header.Scorers);
        var examples = new List<EvaluationExample>();
        long number = 1;
        foreach (var row in rows)
        {
            number++;
            var bytes = JsonSerializer.SerializeToUtf8Bytes(row, HeaderJson);
            examples.Add(EvaluationRowsFile.ParseRow(new System.Buffers.ReadOnlySequence<byte>(bytes), number, index));
        }
        return await SaveAsync(user, grant, header, examples, ct);
    }

    private async Task<EvaluationResponse> SaveAsync(ClaimsPrincipal user, ProjectAccessGrant grant, EvaluationHeader header, List<EvaluationExample> rows, CancellationToken ct)
    {
        var subjectId = await specs.ResolveAsync(user, grant.Project.Slug, header.Subject, ct);
        var evalSetId = await specs.ResolveAsync(user, grant.Project.Slug, header.EvalSet, ct);
        if (subjectId == evalSetId)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "The subject and the eval set name the same version; the subject is what was evaluated on the eval set.");
        if (rows.Count == 0)
            throw PortalException.BadRequest(ErrorCodes.EvaluationMalformed, "The evaluation has no rows: send one line per example after the header.");

        rows.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        for (var i = 1; i < rows.Count; i++)
        {
            if (string.Equals(rows[i - 1].Id, rows[i].Id, StringComparison.Ordinal))
            {
                var (first, second) = rows[i - 1].Line < rows[i].Line ? (rows[i - 1], rows[i]) : (rows[i], rows[i - 1]);
                throw EvaluationRowsFile.Malformed(second.Line, $"example \"{second.Id}\" was already given on line {first.Line}");
            }
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (header.RunId is { } runId && !await db.Runs.AnyAsync(r => r.Id == runId && r.ProjectId == grant.Project.Id, ct))
            throw PortalException.NotFound(ErrorCodes.RunNotFound, $"Project '{grant.Project.Slug}' has no run {runId}.");

        var scores = EvaluationAggregates.Compute(rows, header.Scorers, out var latencyP50, out var latencyP95, out var totalTokens);
        var (digest, size) = await StoreRowsAsync(rows, header.Scorers, ct);

        var versions = await db.ArtifactVersions.AsNoTracking()
            .Where(v => v.Id == subjectId || v.Id == evalSetId)
            .Select(v => new { v.Id, v.ArtifactId })
            .ToDictionaryAsync(v => v.Id, v => v.ArtifactId, ct);
        var now = clock.GetUtcNow();
        var evaluation = new Evaluation
        {
            Id = Guid.NewGuid(),
            ProjectId = grant.Project.Id,
            Name = string.IsNullOrWhiteSpace(header.Name) ? null : header.Name.Trim(),
            SubjectArtifactId = versions[subjectId],
            SubjectVersionId = subjectId,
            SubjectSpec = header.Subject.Trim(),
            EvalSetArtifactId = versions[evalSetId],
            EvalSetVersionId = evalSetId,
            EvalSetSpec = header.EvalSet.Trim(),
            ExampleCount = rows.Count,
            LatencyP50Ms = latencyP50,
            LatencyP95Ms = latencyP95,
            TotalTokens = totalTokens,
            RowsDigest = digest,
            RowsSize = size,
            RunId = header.RunId,
            CreatedById = grant.UserId,
            CreatedAt = now,
            Scores = scores.Select((s, i) => new EvaluationScore { Scorer = s.Scorer, Ordinal = i, Count = s.Count, Mean = s.Mean, Min = s.Min, Max = s.Max }).ToList(),
        };
        db.Evaluations.Add(evaluation);
        db.Record(now, grant.UserId, grant.Project.Id, "evaluation.logged", "evaluation", evaluation.Id.ToString(), after: new
        {
            subject = evaluation.SubjectSpec, subjectVersionId = subjectId, evalSet = evaluation.EvalSetSpec, evalSetVersionId = evalSetId,
            examples = evaluation.ExampleCount, rowsDigest = digest, scores,
        });
        await db.SaveChangesAsync(ct);
        return await queries.GetAsync(user, grant.Project.Slug, evaluation.Id, ct);
    }

    private async Task<(string Digest, long Size)> StoreRowsAsync(List<EvaluationExample> rows, IReadOnlyList<string> scorers, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), "portal-evaluations", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var (digest, size) = EvaluationRowsFile.Write(file, rows, scorers);
        file.Position = 0;
        await store.PutAsync(digest, file, ct);
        await RecordStoredAsync(digest, size, ct);
        return (digest, size);
    }

    /// <summary>
    /// Records the rows blob as stored, like an uploaded file, so the integrity scrub checks its bytes; garbage
    /// collection keeps it while an evaluation names it.
    /// </summary>
    private async Task RecordStoredAsync(string digest, long size, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.StoredBlobs.AnyAsync(b => b.Digest == digest, ct))
            return;
        db.StoredBlobs.Add(new StoredBlob { Digest = digest, Size = size, StoredAt = clock.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // Recorded by a parallel evaluation or upload of the same bytes.
        }
    }

    private static EvaluationHeader ParseHeader(System.Buffers.ReadOnlySequence<byte> line, long number)
    {
        EvaluationHeader? header;
        try
        {
            var reader = new Utf8JsonReader(line);
            header = JsonSerializer.Deserialize<EvaluationHeader>(ref reader, HeaderJson);
        }
        catch (JsonException ex)
        {
            throw EvaluationRowsFile.Malformed(number,
                $"the first line must be the header {{\"subject\":\"index:v3\",\"evalSet\":\"golden:v1\",\"scorers\":[\"recall@5\"]}} ({ex.Message})");
        }
        if (header is null)
            throw EvaluationRowsFile.Malformed(number, "the first line must be the header object");
        ValidateHeader(header, number);
        return header;
    }

    internal static void ValidateHeader(EvaluationHeader header, long number)
    {
        if (string.IsNullOrWhiteSpace(header.Subject))
            throw EvaluationRowsFile.Malformed(number, "the header has no \"subject\" (the evaluated version, such as index:v3)");
        if (string.IsNullOrWhiteSpace(header.EvalSet))
            throw EvaluationRowsFile.Malformed(number, "the header has no \"evalSet\" (the eval-set version, such as golden:v1)");
        if (header.Scorers is not { Count: > 0 })
            throw EvaluationRowsFile.Malformed(number, "the header names no \"scorers\"");
        if (header.Scorers.Count > MaxScorers)
            throw EvaluationRowsFile.Malformed(number, $"the header names more than {MaxScorers} scorers");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scorer in header.Scorers)
        {
            if (string.IsNullOrWhiteSpace(scorer) || scorer.Length > 128 || scorer.Any(char.IsControl) || scorer != scorer.Trim())
                throw EvaluationRowsFile.Malformed(number, $"scorer name \"{scorer}\" is invalid: 1 to 128 characters, no control characters or surrounding blanks");
            if (!seen.Add(scorer))
                throw EvaluationRowsFile.Malformed(number, $"scorer \"{scorer}\" is named twice");
        }
        if (header.Name is { Length: > 128 })
            throw EvaluationRowsFile.Malformed(number, "the name is longer than 128 characters");
    }
}
