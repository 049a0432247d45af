using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;

namespace Portal.Core.Features.Auditing;

/// <summary>What to read from the audit log. Times are [from, to); <see cref="Action"/> matches as a prefix (<c>webhook.</c>).</summary>
public sealed record AuditQuery(
    string? Project = null,
    string? Actor = null,
    string? Action = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int? Limit = null,
    long? Before = null,
    long? After = null);

/// <summary>
/// One screen of the audit log, newest first. <see cref="Newer"/> and <see cref="Older"/> are the sequence numbers to
/// pass as <see cref="AuditQuery.After"/> / <see cref="AuditQuery.Before"/> for the neighbouring pages (null at either end).
/// </summary>
public sealed record AuditLogPage(IReadOnlyList<AuditEventResponse> Items, int Total, long? Newer, long? Older);

/// <summary>A project the user may read the audit log of.</summary>
public sealed record AuditScope(string Slug, string Name);

/// <summary>
/// Reading the audit log: site admins read all of it, project admins their projects' records. There is deliberately no
/// way to change or delete a record; <see cref="AuditVerifier"/> proves none was changed behind the portal's back.
/// </summary>
public sealed class AuditTrail(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, Users users)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    private const int ExportBatch = 1000;

    /// <summary>Whether the user is a site admin, and the projects whose log they may read.</summary>
    public async Task<(bool SiteAdmin, IReadOnlyList<AuditScope> Projects)> ScopesAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var me = await users.CurrentAsync(user, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projects = me.IsSiteAdmin
            ? db.Projects.AsNoTracking()
            : db.Projects.AsNoTracking().Where(p => db.Memberships.Any(m => m.ProjectId == p.Id && m.UserId == me.Id && m.Role == ProjectRole.Admin));
        var list = await projects.OrderBy(p => p.Name).Select(p => new AuditScope(p.Slug, p.Name)).ToListAsync(ct);
        return (me.IsSiteAdmin, list);
    }

    /// <summary>One page of records, newest first; pass the answer's continuation token as <see cref="AuditQuery.Before"/>.</summary>
    public async Task<PagedResponse<AuditEventResponse>> ListAsync(ClaimsPrincipal user, AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = query.Limit ?? DefaultPageSize;
        if (pageSize is < 1 or > MaxPageSize)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxPageSize}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = await FilterAsync(db, user, query, ct);
        var total = await filtered.CountAsync(ct);
        var page = filtered;
        if (query.Before is { } before)
            page = page.Where(e => e.Sequence < before);
        var rows = await Project(db, page.OrderByDescending(e => e.Sequence).Take(pageSize + 1)).ToListAsync(ct);
        var more = rows.Count > pageSize;
        if (more)
            rows.RemoveAt(rows.Count - 1);
        return new PagedResponse<AuditEventResponse>(rows, total, more ? rows[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>
    /// One page for the audit page, walked by sequence number in both directions so a page's address (its filters and
    /// <see cref="AuditQuery.Before"/> or <see cref="AuditQuery.After"/>) keeps showing the same records as the log grows.
    /// </summary>
    public async Task<AuditLogPage> BrowseAsync(ClaimsPrincipal user, AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = query.Limit ?? DefaultPageSize;
        if (pageSize is < 1 or > MaxPageSize)
            throw PortalException.BadRequest(ErrorCodes.LimitInvalid, $"limit must be between 1 and {MaxPageSize}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = await FilterAsync(db, user, query, ct);
        var total = await filtered.CountAsync(ct);
        List<AuditEventResponse> rows;
        if (query.After is { } after && query.Before is null)
        {
            rows = await Project(db, filtered.Where(e => e.Sequence > after).OrderBy(e => e.Sequence).Take(pageSize)).ToListAsync(ct);
            rows.Reverse();
        }
        else
        {
            var page = query.Before is { } before ? filtered.Where(e => e.Sequence < before) : filtered;
            rows = await Project(db, page.OrderByDescending(e => e.Sequence).Take(pageSize)).ToListAsync(ct);
        }

        if (rows.Count == 0)
            return new AuditLogPage(rows, total, null, null);
        var newest = rows[0].Sequence;
        var oldest = rows[^1].Sequence;
        var hasNewer = await filtered.AnyAsync(e => e.Sequence > newest, ct);
        var hasOlder = await filtered.AnyAsync(e => e.Sequence < oldest, ct);
        return new AuditLogPage(rows, total, hasNewer ? newest : null, hasOlder ? oldest : null);
    }

    /// <summary>Writes every matching record as CSV (RFC 4180, oldest first), reading the database a batch at a time.</summary>
    public async Task ExportCsvAsync(ClaimsPrincipal user, AuditQuery query, TextWriter output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(output);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = await FilterAsync(db, user, query, ct);
        await output.WriteAsync("sequence,at,project,actor_id,actor_email,action,target_type,target_id,before,after,hash\r\n");
        long after = 0;
        while (true)
        {
            var batch = await Project(db, filtered.Where(e => e.Sequence > after).OrderBy(e => e.Sequence).Take(ExportBatch)).ToListAsync(ct);
            foreach (var e in batch)
            {
                var line = string.Join(',',
                    e.Sequence.ToString(CultureInfo.InvariantCulture),
                    e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                    Csv(e.ProjectSlug), Csv(e.ActorId), Csv(e.ActorEmail), Csv(e.Action), Csv(e.TargetType), Csv(e.TargetId),
                    Csv(e.Before), Csv(e.After), e.Hash);
                await output.WriteAsync(line + "\r\n");
            }

            if (batch.Count < ExportBatch)
                break;
            after = batch[^1].Sequence;
            await output.FlushAsync(ct);
        }
    }

    /// <summary>
    /// One CSV field: quoted when it holds a separator, quote or line break; a leading <c>= + - @</c> is prefixed with
    /// an apostrophe so a spreadsheet does not run a recorded value as a formula.
    /// </summary>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private async Task<IQueryable<AuditEvent>> FilterAsync(PortalDbContext db, ClaimsPrincipal user, AuditQuery query, CancellationToken ct)
    {
        var events = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Project))
        {
            var grant = await access.RequireAsync(user, query.Project.Trim(), ProjectRole.Admin, ct);
            events = events.Where(e => e.ProjectId == grant.Project.Id);
        }
        else
        {
            var me = await users.CurrentAsync(user, ct);
            if (!me.IsSiteAdmin)
                throw PortalException.Forbidden("Only site admins read the whole audit log; choose a project you administer (project=<slug>).");
        }

        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            var actor = query.Actor.Trim();
            var normalized = actor.ToUpperInvariant();
            var ids = await db.Users.AsNoTracking().Where(u => u.Id == actor || u.NormalizedEmail == normalized).Select(u => u.Id).ToListAsync(ct);
            events = events.Where(e => e.ActorId != null && ids.Contains(e.ActorId));
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            var action = query.Action.Trim();
            events = events.Where(e => e.Action.StartsWith(action));
        }

        if (query.From is { } from && query.To is { } to && from >= to)
            throw PortalException.BadRequest(ErrorCodes.AuditFilterInvalid, "'from' must be before 'to'.");
        if (query.From is { } f)
            events = events.Where(e => e.At >= f);
        if (query.To is { } t)
            events = events.Where(e => e.At < t);
        return events;
    }

    private static IQueryable<AuditEventResponse> Project(PortalDbContext db, IQueryable<AuditEvent> events) =>
        events.Select(e => new AuditEventResponse(
            e.Id,
            e.Sequence,
            e.At,
            db.Projects.Where(p => p.Id == e.ProjectId).Select(p => p.Slug).FirstOrDefault(),
            e.ActorId,
            db.Users.Where(u => u.Id == e.ActorId).Select(u => u.Email).FirstOrDefault(),
            e.Action,
            e.TargetType,
            e.TargetId,
            e.BeforeJson,
            e.AfterJson,
            e.Hash));
}
