using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Data;
using Xunit;

namespace Portal.TestCommon;

/// <summary>
/// The whole portal (API, pages, jobs) on a throw-away database, shared by the tests of one class. Tests isolate
/// themselves by creating their own users and projects through <see cref="TestData"/>.
/// </summary>
public abstract class PortalApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@tests.local";
    public const string AdminPassword = "Admin-password-123";
    public const string AdminToken = "ptl_TestBootstrapToken0123456789abcdefGHIJ";

    private TestDatabase? _database;
    private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "portal-tests", "blobs-" + Guid.NewGuid().ToString("N")[..12]);

    protected PortalApp(DatabaseProvider provider)
    {
        Provider = provider;
    }

    public DatabaseProvider Provider { get; }

    public string? UnavailableReason => TestDatabase.UnavailableReason(Provider);

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The database is not created yet.");

    public string StorageRoot => _storageRoot;

    /// <summary>Serve on a real Kestrel server on 127.0.0.1 (for browsers and the CLI) instead of the in-memory test server.</summary>
    protected virtual bool RunsOnKestrel => false;

    /// <summary>
    /// Extra configuration of every <see cref="PortalDbContext"/> the portal creates (applied after the provider's own),
    /// set before the host is built; the SQL Server dry run attaches its recorders here.
    /// </summary>
    public Action<Microsoft.EntityFrameworkCore.DbContextOptionsBuilder>? ConfigureDatabase { get; set; }

    /// <summary>Extra settings a fixture wants (on top of the test defaults).</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public TestData Data => new(Services);

    /// <summary>The file-system object store below the portal's pack layer (the default store in tests).</summary>
    public Portal.Core.Storage.FileSystemBlobStore FileStore =>
        (Portal.Core.Storage.FileSystemBlobStore)Services.GetRequiredKeyedService<Portal.Core.Storage.IBlobStore>(Portal.Core.Storage.StorageServiceCollectionExtensions.ObjectStoreKey);

    /// <summary>
    /// Overwrites a stored blob's bytes on disk (same length, so only the digest check can tell), wherever it lies:
    /// an object of its own or a slice of a pack.
    /// </summary>
    public async Task CorruptBlobAsync(string digest, byte fill = (byte)'x')
    {
        await using var scope = Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var row = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.StoredBlobs, b => b.Digest == digest);
        var path = FileStore.GetBlobPath(row.PackDigest ?? digest);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = row.PackOffset ?? 0;
        await file.WriteAsync(Enumerable.Repeat(fill, (int)row.Size).ToArray());
    }

    public async Task InitializeAsync()
    {
        if (UnavailableReason is not null)
            return;
        _database = await TestDatabase.CreateAsync(Provider);
        // Building the host runs migrations and the bootstrap.
        if (RunsOnKestrel)
        {
            UseKestrel(0);
            StartServer();
        }
        else
        {
            _ = Services;
        }
    }

    /// <summary>Skips the calling test, with the reason, when this provider cannot run here.</summary>
    public void SkipIfUnavailable() => Skip.If(UnavailableReason is not null, UnavailableReason);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Serve MudBlazor's and the app's static files from the build output, as Development does.
        builder.UseStaticWebAssets();
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = Provider.ToString(),
            ["ConnectionStrings:Portal"] = Database.ConnectionString,
            ["Database:MigrateOnStartup"] = "true",
            ["Portal:SeedDemoData"] = "false",
            ["Portal:Bootstrap:AdminEmail"] = AdminEmail,
            ["Portal:Bootstrap:AdminPassword"] = AdminPassword,
            ["Portal:Bootstrap:AdminApiToken"] = AdminToken,
            ["Storage:Root"] = _storageRoot,
            ["DataProtection:KeysFolder"] = Path.Combine(_storageRoot, "keys"),
            ["Jobs:Storage"] = "InMemory",
            ["Jobs:RunServer"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            // Tests sign in and mint tokens far faster than people; RateLimitTests set their own limits.
            ["RateLimits:SignInsPerMinute"] = "100000",
            ["RateLimits:TokenCreationsPerMinute"] = "100000",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Error",
            // Test receivers listen on 127.0.0.1; WebhookAddressTests turn this off to check the guard.
            ["Webhooks:AllowPrivateAddresses"] = "true",
        };
        foreach (var (key, value) in Settings)
            settings[key] = value;
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        if (ConfigureDatabase is { } configureDatabase)
            builder.ConfigureServices(services => services.ConfigureDbContext<PortalDbContext>(configureDatabase));
    }

    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient AnonymousClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public HttpClient AdminClient() => ClientWithToken(AdminToken);

    public async Task<T> WithServicesAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
        try
        {
            if (Directory.Exists(_storageRoot))
                Directory.Delete(_storageRoot, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

public sealed class SqliteApp() : PortalApp(DatabaseProvider.Sqlite);

public sealed class PostgresApp() : PortalApp(DatabaseProvider.Postgres);

public sealed class SqlServerApp() : PortalApp(DatabaseProvider.SqlServer);
