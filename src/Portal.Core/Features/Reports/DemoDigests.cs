using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Data;

namespace Portal.Core.Features.Reports;

/// <summary>The demo admin gets a weekly digest of the demo project (Mondays, 07:00 UTC), so the page has something to show.</summary>
public sealed class DemoDigests(DigestSubscriptions subscriptions) : IDemoDataContributor
{
    public Task SeedAsync(ClaimsPrincipal admin, string projectSlug, CancellationToken ct) =>
        subscriptions.PutAsync(admin, projectSlug, new DigestSubscriptionRequest("weekly", 7, "monday"), ct);
}
