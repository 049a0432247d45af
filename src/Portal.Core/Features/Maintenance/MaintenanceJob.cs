namespace Portal.Core.Features.Maintenance;

/// <summary>
/// One maintenance job. <see cref="ExecuteAsync"/> must be safe to run again on the same database state (Hangfire
/// may run it twice, and a worker may die half-way): a second run finds nothing left to do.
/// </summary>
public interface IMaintenanceJob
{
    /// <summary>One of <see cref="Client.Models.MaintenanceJobNames"/>.</summary>
    string Name { get; }

    Task ExecuteAsync(MaintenanceReport report, CancellationToken ct);
}

/// <summary>What a job run found and did; stored on its <see cref="MaintenanceRun"/>.</summary>
public sealed class MaintenanceReport
{
    public long RunId { get; init; }

    /// <summary>Items looked at (versions, blobs …).</summary>
    public long Examined { get; set; }

    /// <summary>Items changed (aborted, flagged, removed, deleted).</summary>
    public long Affected { get; set; }

    /// <summary>The job's own figures and samples, stored as a JSON object.</summary>
    public Dictionary<string, object?> Details { get; } = [];

    /// <summary>At most this many items are listed by name in <see cref="Details"/>.</summary>
    public const int MaxListed = 100;

    public void List(string key, object item)
    {
        if (!Details.TryGetValue(key, out var value) || value is not List<object> list)
            Details[key] = list = [];
        if (list.Count < MaxListed)
            list.Add(item);
    }
}
