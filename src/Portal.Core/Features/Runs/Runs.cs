using System.Buffers.Text;
using System.Globalization;
using System.Linq.Expressions;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Runs;

/// <summary>The filters and page of a run list. Dates filter on the start time: <c>from</c> inclusive, <c>to</c> exclusive.</summary>
public sealed record RunListQuery(
    string? JobType = null,
    string? Status = null,
    string? CreatedBy = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Sort = null,
    int? Limit = null,
    string? ContinuationToken = null);

/// <summary>Start, list, read, change and finish runs. Reading needs Viewer; writing needs Contributor.</summary>
public sealed partial class Runs(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    [GeneratedRegex("^[a-z0-9_]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex JobTypePattern();

    public static string StatusName(RunStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A run id from a URL. Anything that is not a GUID names no run, so it gets the same 404 as an unknown one.</summary>
    public static Guid ParseId(string runId) =>
        Guid.TryParse(runId, out var id) ? id : throw RunNotFound(runId);

    public static RunStatus ParseStatus(string? status, bool allowRunning = true)
    {
        if (Enum.TryParse<RunStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _)
            && (allowRunning || parsed != RunStatus.Running))
        {
            return parsed;
        }

        var allowed = allowRunning ? "running, finished, failed, crashed or killed" : "finished, failed, crashed or killed";
        throw PortalException.BadRequest(ErrorCodes.RunStatusInvalid, $"'{status}' is not a run status; use {allowed}.");
    }

    public async Task<RunResponse> CreateAsync(ClaimsPrincipal user, string slug, CreateRunRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var jobType = request.JobType?.Trim() ?? "";
        if (!JobTypePattern().IsMatch(jobType))
        {
            throw PortalException.BadRequest(ErrorCodes.JobTypeInvalid,
                $"'{Shorten(jobType)}' is not a job type: use 1 to 64 characters of a-z, 0-9 and '_', e.g. \"model_training\".");
        }

        var id = Guid.NewGuid();
        var name = string.IsNullOrWhiteSpace(request.Name) ? "run-" + id.ToString("N")[..8] : request.Name.Trim();
        CheckLength(name, 200, "name");
        var gitCommit = Optional(request.GitCommit, 64, "git commit");
        var gitRemote = Optional(request.GitRemote, 1024, "git remote");
        var host = Optional(request.Host, 256, "host");
        var config = RunJson.ObjectText(request.Config, "config");
        var now = clock.GetUtcNow();

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new Run
        {
            Id = id,
            ProjectId = grant.Project.Id,
            Name = name,
            JobType = jobType,
            Status = RunStatus.Running,
            ConfigJson = config,
            SummaryJson = "{}",
            GitCommit = gitCommit,
            GitRemote = gitRemote,
            Host = host,
            StartedAt = Stored(request.StartedAt ?? now),
            CreatedById = grant.UserId,
        };
        db.Runs.Add(run);
        db.Record(now, grant.UserId, grant.Project.Id, "run.created", "run", id.ToString(), after: new { run.Name, run.JobType, run.StartedAt });
        await db.SaveChangesAsync(ct);
        run.CreatedBy = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == grant.UserId, ct);
        return ToResponse(run, now, withConfig: true);
    }

    /// <summary>
    /// One page of the project's runs, newest first by default. Paging is keyset on (start time, id), so a page stays
    /// correct while new runs are logged and deep pages cost the same as the first.
    /// </summary>
    public async Task<PagedResponse<RunResponse>> ListAsync(ClaimsPrincipal user, string slug, RunListQuery query, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        var limit = query.Limit ?? DefaultPageSize;
        if (limit is < 1 or > MaxPageSize)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"limit must be between 1 and {MaxPageSize} (got {limit}).");
        var descending = query.Sort switch
        {
            null or "" or "-startedAt" => true,
            "startedAt" => false,
            _ => throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"sort '{query.Sort}' is not supported; use -startedAt (newest first, the default) or startedAt."),
        };
        var after = query.ContinuationToken is { Length: > 0 } token ? RunPageToken.Decode(token) : null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var runs = Filter(db, grant.Project.Id, query);
        var total = await runs.CountAsync(ct);
        var page = await Page(runs, descending, after)
            .Take(limit + 1)
            .Select(ListRow)
            .ToListAsync(ct);

        var now = clock.GetUtcNow();
        var more = page.Count > limit;
        var items = page.Take(limit).Select(r => ToResponse(r, now, withConfig: false)).ToList();
        var next = more ? RunPageToken.Encode(new RunPageToken(items[^1].StartedAt, items[^1].Id)) : null;
        return new PagedResponse<RunResponse>(items, total, next);
    }

    /// <summary>The filtered runs of a project, before ordering (public so the query shape can be checked on every provider).</summary>
    public static IQueryable<Run> Filter(PortalDbContext db, Guid projectId, RunListQuery query)
    {
        var runs = db.Runs.AsNoTracking().Where(r => r.ProjectId == projectId);
        if (!string.IsNullOrWhiteSpace(query.JobType))
        {
            var jobType = query.JobType.Trim();
            runs = runs.Where(r => r.JobType == jobType);
        }

        if (!string.IsNullOrWhiteSpace(query.Status))
        {
            var status = ParseStatus(query.Status.Trim());
            runs = runs.Where(r => r.Status == status);
        }

        if (!string.IsNullOrWhiteSpace(query.CreatedBy))
        {
            var createdBy = query.CreatedBy.Trim();
            if (createdBy.Contains('@', StringComparison.Ordinal))
            {
                var normalized = createdBy.ToUpperInvariant();
                runs = runs.Where(r => r.CreatedBy != null && r.CreatedBy.NormalizedEmail == normalized);
            }
            else
            {
                runs = runs.Where(r => r.CreatedById == createdBy);
            }
        }

        if (query.From is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            runs = runs.Where(r => r.StartedAt >= fromUtc);
        }

        if (query.To is { } to)
        {
            var toUtc = to.ToUniversalTime();
            runs = runs.Where(r => r.StartedAt < toUtc);
        }

        return runs;
    }

    /// <summary>Orders by (start time, id) and skips to after the continuation point.</summary>
    public static IQueryable<Run> Page(IQueryable<Run> runs, bool descending, RunPageToken? after)
    {
        if (after is { } a)
        {
            var at = a.StartedAt;
            var id = a.Id;
            runs = descending
                ? runs.Where(r => r.StartedAt < at || (r.StartedAt == at && r.Id > id))
                : runs.Where(r => r.StartedAt > at || (r.StartedAt == at && r.Id > id));
        }

        return descending
            ? runs.OrderByDescending(r => r.StartedAt).ThenBy(r => r.Id)
            : runs.OrderBy(r => r.StartedAt).ThenBy(r => r.Id);
    }

    /// <summary>What a list shows of a run: everything but the config, which can be large.</summary>
    public static readonly Expression<Func<Run, Run>> ListRow = r => new Run
    {
        Id = r.Id,
        ProjectId = r.ProjectId,
        Name = r.Name,
        JobType = r.JobType,
        Status = r.Status,
        ConfigJson = "",
        SummaryJson = r.SummaryJson,
        GitCommit = r.GitCommit,
        GitRemote = r.GitRemote,
        Host = r.Host,
        StartedAt = r.StartedAt,
        FinishedAt = r.FinishedAt,
        CreatedById = r.CreatedById,
        CreatedBy = r.CreatedBy == null ? null : new PortalUser { Id = r.CreatedBy.Id, DisplayName = r.CreatedBy.DisplayName, Email = r.CreatedBy.Email },
    };

    public async Task<RunResponse> GetAsync(ClaimsPrincipal user, string slug, Guid runId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().Include(r => r.CreatedBy)
                      .SingleOrDefaultAsync(r => r.Id == runId && r.ProjectId == grant.Project.Id, ct)
                  ?? throw RunNotFound(runId.ToString());
        return ToResponse(run, clock.GetUtcNow(), withConfig: true);
    }

    /// <summary>Changes config and summary of a running run, key by key (see <see cref="UpdateRunRequest"/>).</summary>
    public async Task<RunResponse> UpdateAsync(ClaimsPrincipal user, string slug, Guid runId, UpdateRunRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        if (request.Config is not { ValueKind: not JsonValueKind.Null } && request.Summary is not { ValueKind: not JsonValueKind.Null })
            throw PortalException.BadRequest(ErrorCodes.RunInvalid, "Send config and/or summary as JSON objects; nothing was given to change.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var run = await LockAsync(db, grant.Project.Id, runId, ct);
        if (run.Status != RunStatus.Running)
            throw Finished(run);
        if (request.Config is { ValueKind: not JsonValueKind.Null } config)
            run.ConfigJson = RunJson.Merge(run.ConfigJson, config, "config");
        if (request.Summary is { ValueKind: not JsonValueKind.Null } summary)
            run.SummaryJson = RunJson.Merge(run.SummaryJson, summary, "summary");
        var now = clock.GetUtcNow();
        // The audit names the keys that changed, not their values: a config can be a megabyte and the run keeps it anyway.
        db.Record(now, grant.UserId, grant.Project.Id, "run.updated", "run", runId.ToString(),
            after: new { Config = TopLevelKeys(request.Config), Summary = TopLevelKeys(request.Summary) });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return ToResponse(run, now, withConfig: true);
    }

    /// <summary>
    /// Ends a run. Repeating the same status is a no-op (a client may retry after a lost response); a different
    /// status is a conflict, because the first outcome already went into lineage and reports.
    /// </summary>
    public async Task<RunResponse> FinishAsync(ClaimsPrincipal user, string slug, Guid runId, FinishRunRequest request, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Contributor, ct);
        var status = ParseStatus(request.Status?.Trim(), allowRunning: false);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var run = await LockAsync(db, grant.Project.Id, runId, ct);
        var now = Stored(clock.GetUtcNow());
        if (run.Status == status)
            return ToResponse(run, now, withConfig: true);
        if (run.Status != RunStatus.Running)
            throw Finished(run);
        if (request.Summary is { ValueKind: not JsonValueKind.Null } summary)
            run.SummaryJson = RunJson.Merge(run.SummaryJson, summary, "summary");
        run.Status = status;
        run.FinishedAt = now;
        db.Record(now, grant.UserId, grant.Project.Id, "run.finished", "run", runId.ToString(),
            before: new { Status = StatusName(RunStatus.Running) }, after: new { Status = StatusName(status), run.FinishedAt });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return ToResponse(run, now, withConfig: true);
    }

    /// <summary>
    /// Loads a run for change after taking its row lock (a no-op update), so concurrent writers to one run — metric
    /// batches from several workers, a finish racing an update — apply one after another instead of losing changes.
    /// Must run inside a transaction.
    /// </summary>
    internal static async Task<Run> LockAsync(PortalDbContext db, Guid projectId, Guid runId, CancellationToken ct)
    {
        var locked = await db.Runs.Where(r => r.Id == runId && r.ProjectId == projectId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, r => r.Status), ct);
        if (locked == 0)
            throw RunNotFound(runId.ToString());
        return await db.Runs.Include(r => r.CreatedBy).SingleAsync(r => r.Id == runId, ct);
    }

    /// <summary>Checks the run exists in the project (for reads that do not need the run itself).</summary>
    internal static async Task EnsureExistsAsync(PortalDbContext db, Guid projectId, Guid runId, CancellationToken ct)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == runId && r.ProjectId == projectId, ct))
            throw RunNotFound(runId.ToString());
    }

    /// <summary>
    /// A time as stored: UTC, whole milliseconds. Every provider keeps that exactly (SQLite's binary form does not keep
    /// single ticks), so a response built from memory equals the same run read back later.
    /// </summary>
    internal static DateTimeOffset Stored(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMillisecond));
    }

    internal static PortalException RunNotFound(string runId) =>
        PortalException.NotFound(ErrorCodes.RunNotFound, $"No run '{Shorten(runId)}' exists in this project.");

    internal static PortalException Finished(Run run) =>
        PortalException.Conflict(ErrorCodes.RunFinished,
            $"Run '{run.Name}' is already {StatusName(run.Status)} (at {run.FinishedAt:u}); a finished run cannot change. Start a new run instead.");

    internal static RunResponse ToResponse(Run run, DateTimeOffset now, bool withConfig)
    {
        var end = run.FinishedAt ?? now;
        var duration = Math.Max(0, (end - run.StartedAt).TotalSeconds);
        var creator = run.CreatedBy is { } u ? new RunCreatorResponse(u.Id, u.DisplayName, u.Email ?? "") : null;
        return new RunResponse(
            run.Id,
            run.Name,
            run.JobType,
            StatusName(run.Status),
            withConfig ? RunJson.Parse(run.ConfigJson) : null,
            RunJson.Parse(run.SummaryJson),
            run.GitCommit,
            run.GitRemote,
            run.Host,
            run.StartedAt,
            run.FinishedAt,
            duration,
            creator);
    }

    private static List<string> TopLevelKeys(JsonElement? patch) =>
        patch is { ValueKind: JsonValueKind.Object } element ? element.EnumerateObject().Select(p => p.Name).ToList() : [];

    private static string? Optional(string? value, int max, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var trimmed = value.Trim();
        CheckLength(trimmed, max, field);
        return trimmed;
    }

    private static void CheckLength(string value, int max, string field)
    {
        if (value.Length > max)
            throw PortalException.BadRequest(ErrorCodes.RunInvalid, $"A run's {field} has at most {max:N0} characters (got {value.Length:N0}).");
    }

    private static string Shorten(string value) => value.Length > 80 ? value[..80] + "…" : value;
}

/// <summary>Where the next page of a run list starts: after the run with this start time and id.</summary>
public sealed record RunPageToken(DateTimeOffset StartedAt, Guid Id)
{
    public static string Encode(RunPageToken token) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
            token.StartedAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + "." + token.Id.ToString("N")));

    public static RunPageToken Decode(string token)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            var parts = text.Split('.');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                return new RunPageToken(new DateTimeOffset(ticks, TimeSpan.Zero), id);
            }
        }
        catch (FormatException)
        {
            // Not base64url: reported below like any other malformed token.
        }

        throw PortalException.BadRequest(ErrorCodes.ContinuationInvalid,
            "The continuation token is not one this API issued; pass the continuationToken of the previous page unchanged.");
    }
}
