using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Validation;
using Portal.Core.Storage;

namespace Portal.Core.Features.Compare;

/// <summary>Compare reports for the API and the compare page: read, ask for one, download, and diff one file's rows live.</summary>
public sealed class CompareReports(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, VersionSpecs specs, IBackgroundJobClient jobs, IBlobStore blobs, TimeProvider clock)
{
    public async Task<CompareReportResponse> GetAsync(ClaimsPrincipal user, string slug, Guid reportId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var report = await db.CompareReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == reportId && r.ProjectId == grant.Project.Id, ct)
            ?? throw NotFound();
        return ToResponse(report);
    }

    /// <summary>The report for a pair of versions (the automatic one, keyed by detection, unless a key column is named).</summary>
    public async Task<CompareReportResponse> FindAsync(ClaimsPrincipal user, string slug, Guid from, Guid to, string? keyColumn, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = keyColumn ?? "";
        var report = await db.CompareReports.AsNoTracking()
            .SingleOrDefaultAsync(r => r.ProjectId == grant.Project.Id && r.FromVersionId == from && r.ToVersionId == to && r.KeyColumn == key, ct)
            ?? throw NotFound();
        return ToResponse(report);
    }

    /// <summary>Asks for a report between any two committed versions of the project; an existing one is answered as it is.</summary>
    public async Task<CompareReportResponse> RequestAsync(ClaimsPrincipal user, string slug, CompareReportRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var key = request.KeyColumn?.Trim() ?? "";
        if (key.Length > 200)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "keyColumn is at most 200 characters.");
        // Only committed versions of this project resolve, so no further check is needed.
        var from = await specs.ResolveAsync(user, slug, request.From, ct);
        var to = await specs.ResolveAsync(user, slug, request.To, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var (id, unfinished) = await CompareReportJob.EnsureQueuedAsync(db, grant.Project.Id, from, to, key, now, ct);
        if (unfinished)
        {
            db.Record(now, grant.UserId, grant.Project.Id, "compare_report.requested", "compare_report", id.ToString(), after: new { From = from, To = to, keyColumn = key });
            await db.SaveChangesAsync(ct);
            jobs.Enqueue<CompareReportJob>(j => j.ExecuteAsync(id, CancellationToken.None));
        }

        return ToResponse(await db.CompareReports.AsNoTracking().SingleAsync(r => r.Id == id, ct));
    }

    public async Task<(string Content, string ContentType, string FileName)> DownloadAsync(ClaimsPrincipal user, string slug, Guid reportId, string format, CancellationToken ct = default)
    {
        var report = await GetAsync(user, slug, reportId, ct);
        if (report.Report.State != JobStates.Finished)
            throw PortalException.Conflict(ErrorCodes.CompareReportNotFound, $"The report is {report.Report.State}; download it once it has finished.");
        var name = $"compare-{report.Report.FromVersionId.ToString()[..8]}-{report.Report.ToVersionId.ToString()[..8]}";
        return format switch
        {
            "html" => (CompareReportRenderer.Html(report), "text/html; charset=utf-8", name + ".html"),
            "md" or "markdown" => (CompareReportRenderer.Markdown(report), "text/markdown; charset=utf-8", name + ".md"),
            "csv" => (CompareReportRenderer.Csv(report), "text/csv; charset=utf-8", name + ".csv"),
            _ => throw PortalException.BadRequest(ErrorCodes.ReportFormatInvalid, $"'{format}' is not a report format; use html, md or csv."),
        };
    }

    /// <summary>
    /// Row changes of one CSV/JSONL file between two versions, computed now (not stored): for the compare page's
    /// row view and for any key column a reader picks.
    /// </summary>
    public async Task<RowDiffResponse> DiffRowsAsync(ClaimsPrincipal user, string slug, Guid from, Guid to, string path, string? oldPath, string? keyColumn, int samples, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        if (!FileFormats.IsTabular(FileFormats.Of(path)))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"'{path}' is not a CSV, TSV or JSONL file.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, from, ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, to, ct);
        var oldEntry = await VersionManifest.FindEntryAsync(db, await VersionManifest.LoadRangesAsync(db, from, ct), oldPath ?? path, ct);
        var newEntry = await VersionManifest.FindEntryAsync(db, await VersionManifest.LoadRangesAsync(db, to, ct), path, ct);
        if (oldEntry is null && newEntry is null || oldEntry?.Ref is not null || newEntry?.Ref is not null)
            throw PortalException.NotFound(ErrorCodes.FileNotFound, $"Neither version holds a stored file '{path}'.");
        var engine = new RowDiffEngine(
            c => oldEntry is null ? Task.FromResult<Stream>(new MemoryStream()) : blobs.OpenReadAsync(oldEntry.Digest, false, c),
            c => newEntry is null ? Task.FromResult<Stream>(new MemoryStream()) : blobs.OpenReadAsync(newEntry.Digest, false, c),
            oldPath ?? path, path) { SampleLimit = Math.Clamp(samples, 1, 500) };
        var (diff, columns) = await engine.RunAsync(string.IsNullOrWhiteSpace(keyColumn) ? null : keyColumn, ct);
        return new RowDiffResponse(diff, columns);
    }

    internal static CompareReportResponse ToResponse(CompareReport report)
    {
        var state = report.State == BackgroundJobState.Passed ? JobStates.Finished : ValidationJob.JobStateName(report.State);
        var summary = new CompareReportSummary(report.Id, report.FromVersionId, report.ToVersionId, report.KeyColumn.Length == 0 ? null : report.KeyColumn,
            state, report.State == BackgroundJobState.Passed ? 1 : report.Progress, report.Summary, report.QueuedAt, report.FinishedAt);
        var body = report.ReportJson is null ? null : JsonSerializer.Deserialize<CompareReportBody>(report.ReportJson, ValidationJob.Json);
        return body is null
            ? new CompareReportResponse(summary, null, [], false, [], null, null, [])
            : new CompareReportResponse(summary, body.Files, body.FileChanges, body.FileChangesTruncated, body.Rows, body.FromStatistics, body.ToStatistics, body.Drift);
    }

    private static PortalException NotFound() =>
        PortalException.NotFound(ErrorCodes.CompareReportNotFound, "There is no compare report for these versions yet; ask for one with POST /api/v1/projects/{slug}/compare-reports.");
}
