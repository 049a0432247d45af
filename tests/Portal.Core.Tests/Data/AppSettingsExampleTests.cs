using System.Text.Json;

namespace Portal.Core.Tests.Data;

/// <summary>appsettings.Example.json documents every setting; it must stay valid JSON with the sections the code reads.</summary>
public class AppSettingsExampleTests
{
    private static string RepoFile(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Portal.sln not found above the test folder"), name);
    }

    [Fact]
    public void The_example_settings_are_valid_json_naming_every_section()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoFile("appsettings.Example.json")));
        var root = doc.RootElement;
        Assert.Equal("SqlServer", root.GetProperty("Database").GetProperty("Provider").GetString());
        Assert.True(root.GetProperty("ConnectionStrings").TryGetProperty("Portal", out _));
        Assert.True(root.GetProperty("Storage").TryGetProperty("Root", out _));
        Assert.True(root.GetProperty("DataProtection").TryGetProperty("KeysFolder", out _));
        var bootstrap = root.GetProperty("Portal").GetProperty("Bootstrap");
        foreach (var key in new[] { "AdminEmail", "AdminPassword", "AdminApiToken" })
            Assert.True(bootstrap.TryGetProperty(key, out _), $"Portal:Bootstrap:{key} is not documented");
        foreach (var key in new[] { "RunServer", "Storage", "WorkerCount" })
            Assert.True(root.GetProperty("Jobs").TryGetProperty(key, out _), $"Jobs:{key} is not documented");
        foreach (var key in new[] { "Timeout", "MaxAttempts", "RetryBaseDelay", "MaxRetryDelay", "DispatchCron" })
            Assert.True(root.GetProperty("Webhooks").TryGetProperty(key, out _), $"Webhooks:{key} is not documented");
        foreach (var key in new[] { "Enabled", "KnownProxies", "KnownNetworks" })
            Assert.True(root.GetProperty("ForwardedHeaders").TryGetProperty(key, out _), $"ForwardedHeaders:{key} is not documented");
    }
}
