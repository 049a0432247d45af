using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Ingestions;
using Portal.Core.Features.Maintenance;
using Portal.Core.Features.Notifications;
using Portal.Core.Features.Reports;
using Portal.Core.Features.Webhooks;
using Portal.Core.Storage;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>A portal with a wrong setting: it must refuse to start and name the setting.</summary>
public sealed class BadPartSizeApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Storage:UploadPartBytes"] = "1024",
        ["Webhooks:MaxAttempts"] = "0",
    };
}

public sealed class OptionsValidationTests
{
    /// <summary>Every options class, bound from configuration as the portal binds it.</summary>
    private static readonly Dictionary<string, Func<IServiceCollection, IConfiguration, Func<IServiceProvider, object>>> Registrations = new()
    {
        ["Storage"] = Register<BlobStoreOptions>(BlobStoreOptions.Section),
        ["Digests"] = Register<DigestOptions>(DigestOptions.Section),
        ["PublicUrl"] = Register<PublicUrlOptions>(PublicUrlOptions.Section),
        ["Bootstrap"] = Register<BootstrapOptions>(BootstrapOptions.Section),
        ["Email"] = Register<EmailOptions>(EmailOptions.Section),
        ["Webhooks"] = Register<WebhookOptions>(WebhookOptions.Section),
        ["Maintenance"] = Register<MaintenanceOptions>(MaintenanceOptions.Section),
        ["Ingestion"] = Register<IngestionOptions>(IngestionOptions.Section),
        ["RateLimits"] = Register<RateLimitOptions>(RateLimitOptions.Section),
        ["MemoryTrim"] = Register<MemoryTrimOptions>(MemoryTrimOptions.Section),
        ["ForwardedHeaders"] = Register<TrustedProxyOptions>(TrustedProxyOptions.Section),
    };

    private static Func<IServiceCollection, IConfiguration, Func<IServiceProvider, object>> Register<T>(string section) where T : class, IValidatedOptions =>
        (services, configuration) =>
        {
            services.AddValidatedOptions<T>(configuration, section);
            return provider => provider.GetRequiredService<IOptions<T>>().Value;
        };

    private static object Read(string options, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var read = Registrations[options](services, configuration);
        using var provider = services.BuildServiceProvider();
        return read(provider);
    }

    public static TheoryData<string> AllOptions() => new(Registrations.Keys);

    [Theory]
    [MemberData(nameof(AllOptions))]
    public void The_defaults_are_valid(string options) => Assert.NotNull(Read(options, []));

    [Theory]
    [InlineData("Storage", "Storage:UploadPartBytes", "1024", "Storage:UploadPartBytes must be between 5 MiB and 5 GiB")]
    [InlineData("Storage", "Storage:MaxBlobBytes", "0", "Storage:MaxBlobBytes must be greater than 0")]
    [InlineData("Storage", "Storage:UploadSessionLifetime", "-00:01:00", "Storage:UploadSessionLifetime must be a positive duration")]
    [InlineData("Storage", "Storage:Provider", "AzureBlob", "Storage:Azure:ConnectionString")]
    [InlineData("Storage", "Storage:MaxManifestInflationRatio", "0", "Storage:MaxManifestInflationRatio must be at least 1")]
    [InlineData("Digests", "Digests:ClaimTimeout", "00:00:00", "Digests:ClaimTimeout")]
    [InlineData("PublicUrl", "Portal:PublicUrl", "portal.example.com", "Portal:PublicUrl must be an absolute http or https address")]
    [InlineData("Bootstrap", "Portal:Bootstrap:AdminEmail", "admin", "Portal:Bootstrap:AdminEmail must be an e-mail address")]
    [InlineData("Email", "Email:From", "not a mailbox <", "Email:From must be a mailbox")]
    [InlineData("Email", "Email:Smtp:Port", "70000", "Email:Smtp:Port must be between 1 and 65535")]
    [InlineData("Email", "Email:Smtp:Security", "tls-please", "Email:Smtp:Security must be one of")]
    [InlineData("Webhooks", "Webhooks:MaxAttempts", "0", "Webhooks:MaxAttempts must be at least 1")]
    [InlineData("Webhooks", "Webhooks:MaxRetryDelay", "00:00:01", "Webhooks:MaxRetryDelay (00:00:01) must not be shorter than Webhooks:RetryBaseDelay")]
    [InlineData("Maintenance", "Maintenance:PackRewriteBelowLiveShare", "1.5", "Maintenance:PackRewriteBelowLiveShare must be a share between 0 and 1")]
    [InlineData("Maintenance", "Maintenance:PendingTtl", "00:00:00", "Maintenance:PendingTtl")]
    [InlineData("Maintenance", "Maintenance:ScrubMaxBlobsPerRun", "0", "Maintenance:ScrubMaxBlobsPerRun must be greater than 0")]
    [InlineData("Ingestion", "Ingestion:AllowedFileRoots:0", "datasets", "Ingestion:AllowedFileRoots lists 'datasets', which is not an absolute path")]
    [InlineData("Ingestion", "Ingestion:MaxRedirects", "-1", "Ingestion:MaxRedirects must be at least 0")]
    [InlineData("RateLimits", "RateLimits:SignInsPerMinute", "0", "RateLimits:SignInsPerMinute must be at least 1")]
    [InlineData("MemoryTrim", "MemoryTrim:Quiet", "00:00:00", "MemoryTrim:Quiet")]
    [InlineData("ForwardedHeaders", "ForwardedHeaders:KnownProxies:0", "proxy.local", "ForwardedHeaders:KnownProxies lists 'proxy.local'")]
    [InlineData("ForwardedHeaders", "ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99", "ForwardedHeaders:KnownNetworks lists '10.0.0.0/99'")]
    public void A_wrong_setting_is_refused_with_its_name(string options, string key, string value, string expected)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Read(options, new() { [key] = value }));
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jobs_settings_read_outside_the_options_system_are_checked_too()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => ValidatedOptions.Checked(new JobsOptions { Storage = "Redis", WorkerCount = 0 }));
        Assert.Contains("Jobs:Storage must be one of Database, InMemory (it is 'Redis')", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Jobs:WorkerCount must be at least 1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_portal_refuses_to_start_with_a_wrong_setting_and_names_every_one()
    {
        var app = new BadPartSizeApp();
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => ((IAsyncLifetime)app).InitializeAsync());
            var message = failure.ToString();
            Assert.True(message.Contains("Storage:UploadPartBytes", StringComparison.Ordinal) || message.Contains("Webhooks:MaxAttempts", StringComparison.Ordinal), message);
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }

    /// <summary>Every setting of every validated options class, as configuration names it (<c>Storage:S3:Bucket</c>).</summary>
    public static TheoryData<string> EverySetting()
    {
        var settings = new TheoryData<string>();
        var types = new[] { typeof(BlobStoreOptions).Assembly, typeof(JobsOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IValidatedOptions).IsAssignableFrom(t));
        foreach (var type in types)
        {
            var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
            foreach (var setting in Settings(type, section))
                settings.Add(setting);
        }
        return settings;
    }

    private static IEnumerable<string> Settings(Type type, string prefix)
    {
        foreach (var property in type.GetProperties().Where(p => p is { CanRead: true, CanWrite: true }))
        {
            var name = $"{prefix}:{property.Name}";
            var nested = property.PropertyType is { IsClass: true } t && t != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t);
            if (nested)
            {
                foreach (var inner in Settings(property.PropertyType, name))
                    yield return inner;
            }
            else
            {
                yield return name;
            }
        }
    }

    [Theory]
    [MemberData(nameof(EverySetting))]
    public void Every_setting_is_listed_in_the_example_settings(string setting)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            dir = dir.Parent;
        using var example = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "appsettings.Example.json")));
        var element = example.RootElement;
        foreach (var key in setting.Split(':'))
            Assert.True(element.TryGetProperty(key, out element), $"{setting} is not in appsettings.Example.json");
    }
}
