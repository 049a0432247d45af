namespace Portal.Web.Infrastructure;

/// <summary>What one process of a scaled-out portal does; all replicas share the database and the blob store.</summary>
public enum PortalRole
{
    /// <summary>Pages, API and background jobs in one process (the default, and what a single server runs).</summary>
    All,

    /// <summary>Pages and API only; background jobs are left to workers.</summary>
    Web,

    /// <summary>Background jobs only, plus <c>/healthz</c> for probes.</summary>
    Worker,
}

public static class PortalRoles
{
    /// <summary>
    /// The role from <c>--role web|worker|all</c> on the command line or <c>Portal:Role</c> in configuration; an
    /// unknown value stops the start with a message rather than silently running the wrong half.
    /// </summary>
    public static PortalRole Read(IConfiguration configuration)
    {
        var value = configuration["role"] ?? configuration["Portal:Role"];
        if (string.IsNullOrWhiteSpace(value))
            return PortalRole.All;
        return Enum.TryParse<PortalRole>(value.Trim(), ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role
            : throw new InvalidOperationException($"Unknown role '{value}': use --role web, --role worker or --role all (Portal:Role in configuration).");
    }

    public static bool ServesWeb(this PortalRole role) => role != PortalRole.Worker;

    /// <summary>Whether this process runs the Hangfire server, given what <c>Jobs:RunServer</c> says.</summary>
    public static bool RunsJobs(this PortalRole role, bool configured) => role switch
    {
        PortalRole.Web => false,
        PortalRole.Worker => true,
        _ => configured,
    };
}
