using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Portal.Core.Net;

namespace Portal.Web.Tests.Features.Webhooks;

/// <summary>The portal as it runs by default: webhooks may only reach public addresses.</summary>
public abstract class GuardedWebhooksApp(DatabaseProvider provider) : PortalApp(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Webhooks:AllowPrivateAddresses"] = "false",
        ["Webhooks:Timeout"] = "00:00:02",
    };
}

public sealed class GuardedWebhooksSqliteApp() : GuardedWebhooksApp(DatabaseProvider.Sqlite);

public sealed class GuardedWebhooksPostgresApp() : GuardedWebhooksApp(DatabaseProvider.Postgres);

/// <summary>A project admin cannot make the portal call into its own network through a webhook.</summary>
public abstract class WebhookAddressTests(GuardedWebhooksApp app)
{
    private static string Url(TestProject team, string rest = "") => $"/api/v1/projects/{team.Slug}/webhooks{rest}";

    [SkippableFact]
    public async Task Internal_addresses_are_refused_when_the_webhook_is_saved()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        foreach (var url in new[]
                 {
                     "http://127.0.0.1:5000/hook", "http://localhost/hook", "http://api.localhost/hook", "http://[::1]:8080/", "http://10.1.2.3/",
                     "http://172.16.0.9/", "http://192.168.1.1/admin", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/", "http://[fd00::1]/",
                     "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/",
                 })
        {
            await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest(url)))
                .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookUrlNotAllowed);
        }

        var created = await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest("https://hooks.example.test/portal")))
            .ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);
        await (await admin.PatchAsJsonAsync(Url(team, $"/{created.Webhook.Id}"), new UpdateWebhookRequest(Url: "http://127.0.0.1:9/"), HttpAssertions.Json))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookUrlNotAllowed);
    }

    [SkippableTheory]
    [InlineData("::7f00:1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("::ffff:0:7f00:1")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe")]
    public async Task An_ipv6_address_carrying_an_internal_ipv4_address_is_refused_when_saved_and_when_connecting(string address)
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.Url).Port;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);
        var url = $"http://[{address}]:{port}/hook";

        await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest(url)))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.WebhookUrlNotAllowed);

        // Stored behind the portal's back (or before the guard knew the form): the connection is refused too.
        var created = await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest("https://hooks.example.test/portal")))
            .ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);
        await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Webhooks.Where(w => w.Id == created.Webhook.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.Url, url));
        });
        var refused = await (await admin.PostAsync(Url(team, $"/{created.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("pending", refused.State);
        Assert.Null(refused.LastStatusCode);
        Assert.Contains(ErrorCodes.WebhookUrlNotAllowed, refused.LastError, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }

    [SkippableFact]
    public async Task A_name_or_stored_address_that_leads_inside_is_not_connected_to()
    {
        app.SkipIfUnavailable();
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.Url).Port;
        var team = await app.Data.CreateProjectWithTeamAsync();
        var admin = app.ClientWithToken(team.Admin.Token);

        // A host name is accepted when saved (it is not resolved then), but the connection is refused when the name
        // resolves to this machine. The machine's own name resolves to a loopback or private address here.
        var machine = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(machine);
        Skip.If(addresses.Length == 0 || addresses.Any(PublicAddresses.IsPublic), $"the machine name {machine} does not resolve to internal addresses only");
        var byName = await (await admin.PostJsonAsync(Url(team), new CreateWebhookRequest($"http://{machine}:{port}/hook")))
            .ReadOkAsync<CreatedWebhookResponse>(HttpStatusCode.Created);
        var refused = await (await admin.PostAsync(Url(team, $"/{byName.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("pending", refused.State);
        Assert.Null(refused.LastStatusCode);
        Assert.Contains("non-public address", refused.LastError, StringComparison.Ordinal);

        // An address stored before the guard existed (or written behind the portal's back) is refused at connect time too.
        await app.WithServicesAsync(async s =>
        {
            await using var db = await s.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await db.Webhooks.Where(w => w.Id == byName.Webhook.Id).ExecuteUpdateAsync(u => u.SetProperty(w => w.Url, receiver.Url));
        });
        var literal = await (await admin.PostAsync(Url(team, $"/{byName.Webhook.Id}/test"), null)).ReadOkAsync<WebhookDeliveryResponse>();
        Assert.Equal("pending", literal.State);
        Assert.Contains("non-public address", literal.LastError, StringComparison.Ordinal);

        Assert.Empty(receiver.Received);
    }
}

public sealed class WebhookAddressTests_Sqlite(GuardedWebhooksSqliteApp app) : WebhookAddressTests(app), IClassFixture<GuardedWebhooksSqliteApp>;

public sealed class WebhookAddressTests_Postgres(GuardedWebhooksPostgresApp app) : WebhookAddressTests(app), IClassFixture<GuardedWebhooksPostgresApp>;
