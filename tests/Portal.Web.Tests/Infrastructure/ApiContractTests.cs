using System.Diagnostics;
using System.Text.Json;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// The OpenAPI document as other tools read it: Redocly's recommended rules find no error, and a TypeScript client
/// generated from it by openapi-typescript compiles under <c>tsc --strict</c> together with code that uses it. The
/// tools are the pinned ones in <c>tools/api-contract</c> (installed by <c>infra/scripts/test.sh</c>); where node is
/// present they must be there, so a CI run cannot pass by leaving them out.
/// </summary>
public sealed class ApiContractTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(4);

    [SkippableFact]
    public async Task The_document_passes_the_recommended_lint_rules()
    {
        var tools = RequireTools();
        var work = await WriteDocumentAsync();
        try
        {
            var (exit, output) = await RunAsync(tools, Path.Combine(tools, "node_modules", ".bin", "redocly"),
                "lint", "--config", Path.Combine(tools, "redocly.yaml"), "--format", "stylish", Path.Combine(work, "openapi.json"));
            Assert.True(exit == 0, $"redocly lint found errors in /openapi/v1.json:\n{output}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [SkippableFact]
    public async Task A_typescript_client_generated_from_the_document_compiles_strictly()
    {
        var tools = RequireTools();
        var work = await WriteDocumentAsync();
        try
        {
            var (generated, generateOutput) = await RunAsync(tools, Path.Combine(tools, "node_modules", ".bin", "openapi-typescript"),
                Path.Combine(work, "openapi.json"), "--output", Path.Combine(work, "portal-api.ts"));
            Assert.True(generated == 0, $"openapi-typescript failed:\n{generateOutput}");

            File.Copy(Path.Combine(tools, "usage.ts"), Path.Combine(work, "usage.ts"));
            var (compiled, compileOutput) = await RunAsync(tools, Path.Combine(tools, "node_modules", ".bin", "tsc"),
                "--strict", "--noEmit", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler",
                Path.Combine(work, "portal-api.ts"), Path.Combine(work, "usage.ts"));
            Assert.True(compiled == 0, $"tsc --strict failed on the generated client:\n{compileOutput}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Problem_codes_are_the_error_codes()
    {
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<JsonElement>();
        var code = doc.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails").GetProperty("properties").GetProperty("code");
        var values = code.GetProperty("enum").EnumerateArray().Select(v => v.GetString()).ToHashSet();
        foreach (var expected in typeof(ErrorCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string?)f.GetRawConstantValue()))
            Assert.Contains(expected, values);
    }

    [Theory]
    [InlineData("WebhookDeliveryResponse", "state", "pending,succeeded,failed")]
    [InlineData("MaintenanceRunResponse", "state", "queued,running,succeeded,failed")]
    [InlineData("LineageNodeResponse", "kind", "version,run,cluster")]
    [InlineData("LineageClusterNode", "nodeKind", "version,run")]
    [InlineData("PromotionResponse", "kind", "promotion,rollback")]
    [InlineData("PromotionResponse", "approverRole", "Contributor,Reviewer,Admin")]
    [InlineData("PromotionPolicyResponse", "approverRole", "Contributor,Reviewer,Admin")]
    [InlineData("SearchHit", "kind", "artifact,version,run")]
    [InlineData("FinishRunRequest", "status", "finished,failed,crashed,killed")]
    public async Task Closed_sets_of_strings_are_enums(string schema, string property, string values)
    {
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<JsonElement>();
        var member = doc.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties").GetProperty(property);
        Assert.True(member.TryGetProperty("enum", out var listed), $"{schema}.{property} has no enum: {member}");
        Assert.Equal(values.Split(',').Order(StringComparer.Ordinal), listed.EnumerateArray().Select(v => v.GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Operations_that_need_a_token_say_so_and_anonymous_ones_do_not()
    {
        var doc = await (await app.AnonymousClient().GetAsync("/openapi/v1.json")).ReadOkAsync<JsonElement>();
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("responses", out _)))
            {
                // Anonymous operations carry one empty requirement ({}): no credentials needed.
                var secured = operation.Value.TryGetProperty("security", out var security)
                    && security.EnumerateArray().Any(requirement => requirement.TryGetProperty("bearer", out _));
                Assert.True(secured == path.Name.StartsWith("/api/v1/", StringComparison.Ordinal),
                    $"{operation.Name.ToUpperInvariant()} {path.Name}: security {(secured ? "declared" : "missing")}");
            }
        }
    }

    /// <summary>The pinned tools' folder; skips without node, fails when node is there but the tools are not.</summary>
    private static string RequireTools()
    {
        Skip.If(FindOnPath("node") is null, "node is not installed; the API contract tools cannot run");
        var tools = Path.Combine(RepositoryRoot(), "tools", "api-contract");
        Assert.True(File.Exists(Path.Combine(tools, "node_modules", ".bin", "redocly")),
            $"The API contract tools are not installed: run 'npm ci' in {tools} (infra/scripts/test.sh does).");
        return tools;
    }

    private async Task<string> WriteDocumentAsync()
    {
        var work = Path.Combine(Path.GetTempPath(), "portal-api-contract-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        var response = await app.AnonymousClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await File.WriteAllTextAsync(Path.Combine(work, "openapi.json"), await response.Content.ReadAsStringAsync());
        return work;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Portal.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, program))
        .FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Output)> RunAsync(string workingDirectory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // No telemetry or update checks from the tools: the test runs offline.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {ToolTimeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
