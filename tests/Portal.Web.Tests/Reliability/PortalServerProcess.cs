using System.Diagnostics;
using System.Net.Sockets;

namespace Portal.Web.Tests.Reliability;

/// <summary>
/// The portal as a real, separate server process (the built <c>Portal.Web.dll</c> on Kestrel, 127.0.0.1), so a test
/// can kill it with SIGKILL and start it again on the same database, blob store and port.
/// </summary>
public sealed class PortalServerProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly Action<string>? _log;
    private Process? _process;

    /// <param name="settings">Configuration on top of the defaults, as environment variables (<c>Jobs__RunServer</c> …).</param>
    /// <param name="log">Receives the process's output lines.</param>
    public PortalServerProcess(string connectionString, string provider, string storageRoot, IReadOnlyDictionary<string, string>? settings = null, Action<string>? log = null)
    {
        _log = log;
        Port = FreePort();
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["Database__Provider"] = provider,
            ["ConnectionStrings__Portal"] = connectionString,
            ["Database__MigrateOnStartup"] = "true",
            ["Portal__SeedDemoData"] = "false",
            ["Portal__Bootstrap__AdminEmail"] = PortalApp.AdminEmail,
            ["Portal__Bootstrap__AdminPassword"] = PortalApp.AdminPassword,
            ["Portal__Bootstrap__AdminApiToken"] = PortalApp.AdminToken,
            ["Storage__Root"] = storageRoot,
            ["DataProtection__KeysFolder"] = Path.Combine(storageRoot, "keys"),
            ["Jobs__Storage"] = "InMemory",
            ["Jobs__RunServer"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            _environment[key] = value;
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>The server's own build output (built with the solution).</summary>
    public static string? ServerDll
    {
        get
        {
            var folder = new DirectoryInfo(AppContext.BaseDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Portal.sln")))
                folder = folder.Parent;
            if (folder is null)
                return null;
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dll = Path.Combine(folder.FullName, "src", "Portal.Web", "bin", configuration, "net10.0", "Portal.Web.dll");
            return File.Exists(dll) ? dll : null;
        }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet", [ServerDll ?? throw new InvalidOperationException("Build src/Portal.Web first.")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        foreach (var (key, value) in _environment)
            start.Environment[key] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The portal process exited with {_process.ExitCode} while starting.");
            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, "healthz"))).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The portal process did not become healthy within 120 s.");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, exactly like a crashed machine's process.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private void Log(string? line)
    {
        if (line is not null)
            _log?.Invoke(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
