using Portal.Core;
using Portal.Web.Components;
using Portal.Web.Features.Access;
using Portal.Web.Features.Artifacts;
using Portal.Web.Features.Auditing;
using Portal.Web.Features.Automations;
using Portal.Web.Features.Changes;
using Portal.Web.Features.Evaluations;
using Portal.Web.Features.Evidence;
using Portal.Web.Features.Health;
using Portal.Web.Features.Ingestions;
using Portal.Web.Features.Lineage;
using Portal.Web.Features.Maintenance;
using Portal.Web.Features.Projects;
using Portal.Web.Features.Promotions;
using Portal.Web.Features.Registry;
using Portal.Web.Features.Runs;
using Portal.Web.Features.Search;
using Portal.Web.Features.Webhooks;
using Portal.Web.Features.Validation;
using Portal.Web.Features.Reports;
using Portal.Web.Infrastructure;

if (SqlServerDbaScript.IsCommand(args))
    return SqlServerDbaScript.Run(args, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddPortalCore(builder.Configuration);
builder.Services.AddPortalTrustedProxies();
builder.Services.AddPortalAuthentication();
builder.Services.AddPortalProblemDetails();
builder.Services.AddPortalOpenApi();
builder.Services.AddPortalJobsHost();
builder.Services.AddPortalUi();
builder.Services.AddPortalRateLimits();
builder.Services.AddPortalKestrelBuffers();
builder.Services.AddPortalMemoryTrim(builder.Configuration);
builder.Services.AddPortalTelemetry();
builder.Services.AddPortalHealthChecks();

var app = builder.Build();
if (AdminCommands.IsCommand(args))
    return await AdminCommands.RunAsync(app.Services, args, Console.Out, Console.Error);
var role = PortalRoles.Read(app.Configuration);

app.UsePortalPipeline();
app.MapHealthApi();
app.MapMetricsEndpoint();
if (role.ServesWeb())
{
    app.MapPortalUi();
    app.MapPortalOpenApi();
    app.MapJobsDashboard();
    app.MapEvidenceKeysDocument();

    var api = app.MapApiV1();
    api.MapAccessApi();
    api.MapProjectsApi();
    api.MapArtifactsApi();
    api.MapBlobsApi();
    api.MapBlobUploadSessionsApi();
    api.MapRunsApi();
    api.MapVersionContentApi();
    api.MapLineageApi();
    api.MapRegistryApi();
    api.MapSearchApi();
    api.MapPromotionsApi();
    api.MapEvaluationsApi();
    api.MapWebhooksApi();
    api.MapAutomationsApi();
    api.MapAuditApi();
    api.MapEvidenceApi();
    api.MapValidationApi();
    api.MapIngestionsApi();
    api.MapReportsApi();
    api.MapMaintenanceApi();
    api.MapChangesApi();
}

await app.InitializePortalAsync();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
