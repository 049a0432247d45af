using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Maintenance;

/// <summary>Maintenance run reports for site admins, and "run now".</summary>
public sealed class MaintenanceRuns(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, TimeProvider clock)
{
    public const string ScheduleTrigger = "schedule";
    public const string ManualTrigger = "manual";

    public async Task<IReadOnlyList<MaintenanceRunResponse>> ListAsync(ClaimsPrincipal user, string? job, int? limit, CancellationToken ct = default)
    {
        await RequireSiteAdminAsync(user, ct);
        if (job is not null)
            RequireKnown(job);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var runs = await db.MaintenanceRuns.AsNoTracking()
            .Where(r => job == null || r.Job == job)
            .OrderByDescending(r => r.Id)
            .Take(Math.Clamp(limit ?? 50, 1, 500))
            .ToListAsync(ct);
        return runs.Select(ToResponse).ToList();
    }

    /// <summary>Queues a run of <paramref name="job"/> now (site admins); the answer is its queued report.</summary>
    public async Task<MaintenanceRunResponse> RunNowAsync(ClaimsPrincipal user, string job, CancellationToken ct = default)
    {
        var userId = await RequireSiteAdminAsync(user, ct);
        RequireKnown(job);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = Create(job, ManualTrigger, userId, clock.GetUtcNow());
        db.MaintenanceRuns.Add(run);
        await db.SaveChangesAsync(ct);
        db.Record(clock.GetUtcNow(), userId, null, "maintenance.run_requested", "maintenance_run", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), after: new { job });
        await db.SaveChangesAsync(ct);
        try
        {
            jobs.Enqueue<MaintenanceJobRunner>(r => r.ExecuteAsync(run.Id, CancellationToken.None));
        }
        catch (Exception ex)
        {
            // A report that says "queued" must be queued: record why it is not.
            run.State = MaintenanceRunState.Failed;
            run.Error = "The job could not be queued: " + ex.Message;
            run.FinishedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
        return ToResponse(run);
    }

    internal static MaintenanceRun Create(string job, string trigger, string? userId, DateTimeOffset now) =>
        new() { Job = job, Trigger = trigger, RequestedById = userId, State = MaintenanceRunState.Queued, QueuedAt = now };

    internal static void RequireKnown(string job)
    {
        if (!MaintenanceJobNames.All.Contains(job, StringComparer.Ordinal))
        {
            throw PortalException.NotFound(ErrorCodes.MaintenanceJobUnknown,
                $"There is no maintenance job '{job}'; the jobs are {string.Join(", ", MaintenanceJobNames.All)}.");
        }
    }

    public static MaintenanceRunResponse ToResponse(MaintenanceRun r)
    {
        using var details = JsonDocument.Parse(r.DetailsJson);
        return new MaintenanceRunResponse(r.Id, r.Job, r.Trigger, r.State.ToString().ToLowerInvariant(), r.Attempts, r.QueuedAt, r.StartedAt, r.FinishedAt,
            r.Examined, r.Affected, r.Error, details.RootElement.Clone());
    }

    private async Task<string> RequireSiteAdminAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var isSiteAdmin = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        return isSiteAdmin ? userId : throw PortalException.Forbidden("Only site admins see maintenance runs and start them.");
    }
}

/// <summary>
/// The Hangfire entry point of every maintenance job. A run's row is written before it is queued and the job takes
/// its id: a run that already finished is not repeated, and one whose worker died is started again from the database
/// state (each job is idempotent), counting its attempts.
/// </summary>
public sealed class MaintenanceJobRunner(
    IDbContextFactory<PortalDbContext> dbFactory,
    IEnumerable<IMaintenanceJob> maintenanceJobs,
    TimeProvider clock,
    ILogger<MaintenanceJobRunner> logger)
{
    public static string RecurringJobId(string job) => "maintenance-" + job;

    /// <summary>A scheduled run: writes its report row, then runs it.</summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task ScheduledAsync(string job, CancellationToken ct)
    {
        MaintenanceRuns.RequireKnown(job);
        long id;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var run = MaintenanceRuns.Create(job, MaintenanceRuns.ScheduleTrigger, null, clock.GetUtcNow());
            db.MaintenanceRuns.Add(run);
            await db.SaveChangesAsync(ct);
            id = run.Id;
        }
        await ExecuteAsync(id, ct);
    }

    /// <summary>Runs the job of report <paramref name="runId"/> unless that run already finished.</summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task ExecuteAsync(long runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.MaintenanceRuns.SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null || run.State is MaintenanceRunState.Succeeded or MaintenanceRunState.Failed)
            return;
        var job = maintenanceJobs.Single(j => j.Name == run.Job);
        run.State = MaintenanceRunState.Running;
        run.Attempts++;
        run.StartedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        if (run.Attempts > 1)
            logger.LogWarning("Maintenance run {RunId} ({Job}) starts again: attempt {Attempt}", run.Id, run.Job, run.Attempts);

        var report = new MaintenanceReport { RunId = run.Id };
        try
        {
            await job.ExecuteAsync(report, ct);
            run.State = MaintenanceRunState.Succeeded;
        }
        catch (Exception ex)
        {
            run.State = MaintenanceRunState.Failed;
            run.Error = ex.Message.Length > 4000 ? ex.Message[..4000] : ex.Message;
            logger.LogError(ex, "Maintenance run {RunId} ({Job}) failed", run.Id, run.Job);
            throw;
        }
        finally
        {
            run.FinishedAt = clock.GetUtcNow();
            run.Examined = report.Examined;
            run.Affected = report.Affected;
            run.DetailsJson = JsonSerializer.Serialize(report.Details, JsonSerializerOptions.Web);
            await db.SaveChangesAsync(CancellationToken.None);
        }
    }
}
