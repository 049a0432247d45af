using System.Diagnostics;
using System.Globalization;
using Portal.TestCommon;

namespace Portal.Benchmarks;

/// <summary>
/// The portal CLI side by side with the tools a user could pick instead, on the same freshly generated trees in one
/// run: restic (backup/restore), git (add+commit, status, clone), openssl (hashing) and cp; and the Python client
/// (<c>python3 -m portal put|get</c>, into a project of its own so its uploads are not found already present). Every command is a child
/// process timed from start to exit; its peak RSS comes from GNU time, the server's from this process's VmHWM
/// (reset before each case). Peers missing from the machine are reported and skipped
/// (<c>infra/scripts/install-peers.sh</c> installs them).
/// </summary>
/// <remarks>
/// <c>PORTAL_BENCH_PEERS_FILES</c> (default 100,000) and <c>PORTAL_BENCH_PEERS_MIB</c> (default 1,024) scale the
/// two trees down for a quick look; the goals are stated for the defaults.
/// </remarks>
public static class PeerScenarios
{
    private const string Scenario = "peers";

    public static async Task RunAsync(BenchContext context)
    {
        var files = Setting("PORTAL_BENCH_PEERS_FILES", 100_000);
        var mebibytes = Setting("PORTAL_BENCH_PEERS_MIB", 1024);
        var root = Directory.CreateTempSubdirectory("portal-peers-").FullName;
        try
        {
            var peers = new Peers(root, context, await context.App.Data.CreateProjectWithTeamAsync());
            await peers.PrepareAsync();
            BenchContext.Report(Scenario, "load_at_start", BenchContext.LoadAverage(), "load1");
            await SmallFilesAsync(peers, Path.Combine(root, "small"), files);
            await LargeFilesAsync(peers, Path.Combine(root, "large"), mebibytes);
            BenchContext.Report(Scenario, "load_at_end", BenchContext.LoadAverage(), "load1");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task SmallFilesAsync(Peers peers, string folder, int count)
    {
        Console.Error.WriteLine($"generating {count:N0} small files");
        var tree = Path.Combine(folder, "tree");
        var random = new Random(20261204);
        var paths = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(tree, $"shard-{i / 1000:D3}", $"doc-{i:D6}.txt");
            if (i % 1000 == 0)
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var bytes = new byte[random.Next(200, 4000)];
            random.NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            paths.Add(path);
        }

        var put = await peers.PortalPutAsync("small", tree, "small", freshCache: true);
        var get = await peers.PortalGetAsync("small", "small", Path.Combine(folder, "portal-get"));
        var pythonPut = await peers.PythonPutAsync("small", tree, "small", freshCache: true);
        var pythonGet = await peers.PythonGetAsync("small", "small", Path.Combine(folder, "python-get"));
        var gitCommit = await peers.GitCommitAsync("small", tree);
        var gitClone = await peers.GitCloneAsync("small", tree, Path.Combine(folder, "git-clone"));
        var resticBackup = await peers.ResticBackupAsync("small", tree);
        var resticRestore = await peers.ResticRestoreAsync("small", Path.Combine(folder, "restic-restore"));

        Ratio("small.get_vs_restic_restore", get, resticRestore, "goal < 1");
        Ratio("small.get_vs_git_clone", get, gitClone, null);
        Ratio("small.put_vs_git_add_commit", put, gitCommit, "goal <= 1");
        Ratio("small.put_vs_restic_backup", put, resticBackup, null);
        Ratio("small.python_put_vs_cli_put", pythonPut, put, "goal <= 2");
        Ratio("small.python_get_vs_cli_get", pythonGet, get, null);

        // Ten files change: the digest cache knows the rest, as git's index does.
        foreach (var path in paths.Take(10))
            await File.AppendAllTextAsync(path, "changed\n");
        var changed = await peers.PortalPutAsync("small_10_changed", tree, "small", freshCache: false);
        var gitChanged = await peers.GitCommitAsync("small_10_changed", tree);
        Ratio("small_10_changed.put_vs_git_commit", changed, gitChanged, "goal: put < 1.5 s");
        var pythonChanged = await peers.PythonPutAsync("small_10_changed", tree, "small", freshCache: false);
        Ratio("small_10_changed.python_put_vs_cli_put", pythonChanged, changed, null);

        var unchanged = await peers.PortalPutAsync("small_unchanged", tree, "small", freshCache: false);
        var gitStatus = await peers.GitStatusAsync("small_unchanged", tree);
        Ratio("small_unchanged.put_vs_git_status", unchanged, gitStatus, "goal: put < 1 s");
        var pythonUnchanged = await peers.PythonPutAsync("small_unchanged", tree, "small", freshCache: false);
        Ratio("small_unchanged.python_put_vs_cli_put", pythonUnchanged, unchanged, "goal: python put < 1.5 s");
        Directory.Delete(folder, recursive: true);
    }

    private static async Task LargeFilesAsync(Peers peers, string folder, int mebibytes)
    {
        Console.Error.WriteLine($"generating {mebibytes:N0} MiB in 1 MiB files");
        var tree = Path.Combine(folder, "tree");
        var random = new Random(20261205);
        var block = new byte[1 << 20];
        for (var i = 0; i < mebibytes; i++)
        {
            var path = Path.Combine(tree, $"part-{i / 100:D2}", $"shard-{i:D4}.bin");
            if (i % 100 == 0)
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            random.NextBytes(block);
            await File.WriteAllBytesAsync(path, block);
        }

        var put = await peers.PortalPutAsync("large", tree, "large", freshCache: true);
        var hash = await peers.OpensslAsync("large", tree);
        var get = await peers.PortalGetAsync("large", "large", Path.Combine(folder, "portal-get"));
        var pythonPut = await peers.PythonPutAsync("large", tree, "large", freshCache: true);
        var pythonGet = await peers.PythonGetAsync("large", "large", Path.Combine(folder, "python-get"));
        var copy = await peers.CopyAsync("large", tree, Path.Combine(folder, "cp"));
        var resticBackup = await peers.ResticBackupAsync("large", tree);
        var resticRestore = await peers.ResticRestoreAsync("large", Path.Combine(folder, "restic-restore"));

        Ratio("large.put_vs_openssl", put, hash, "goal <= 2");
        Ratio("large.put_vs_restic_backup", put, resticBackup, null);
        Ratio("large.get_vs_cp", get, copy, "goal <= 1.5");
        Ratio("large.get_vs_restic_restore", get, resticRestore, null);
        Ratio("large.python_put_vs_cli_put", pythonPut, put, "goal <= 1.5");
        Ratio("large.python_get_vs_cli_get", pythonGet, get, null);
        Directory.Delete(folder, recursive: true);
    }

    private static void Ratio(string figure, double? portal, double? peer, string? goal)
    {
        if (portal is null || peer is null || peer <= 0)
            return;
        BenchContext.Report(Scenario, figure, portal.Value / peer.Value, "ratio");
        if (goal is not null)
            Console.Error.WriteLine($"   {figure}: {portal / peer:0.00} ({goal})");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;

    /// <summary>The commands of one run, each timed as a child process.</summary>
    private sealed class Peers(string root, BenchContext context, TestProject pythonTeam)
    {
        private readonly string _cli = Path.Combine(root, "cli", "portal.dll");
        private readonly string _resticRepository = Path.Combine(root, "restic-repository");
        private readonly Dictionary<string, string> _portalEnvironment = new()
        {
            ["PORTAL_URL"] = context.BaseUrl,
            ["PORTAL_TOKEN"] = context.Team.Contributor.Token,
            ["PORTAL_PROJECT"] = context.Team.Project.Slug,
            ["PORTAL_CONFIG_DIR"] = Path.Combine(root, "portal-config"),
        };

        private readonly Dictionary<string, string> _pythonEnvironment = new()
        {
            ["PORTAL_URL"] = context.BaseUrl,
            ["PORTAL_TOKEN"] = pythonTeam.Contributor.Token,
            ["PORTAL_PROJECT"] = pythonTeam.Project.Slug,
            ["PORTAL_CONFIG_DIR"] = Path.Combine(root, "portal-config"),
        };

        /// <summary>The Python client's folder (<c>src/portal-py</c>) when python3 is on the machine.</summary>
        private string? _pythonPackage;

        private readonly Dictionary<string, string> _resticEnvironment = new()
        {
            ["RESTIC_REPOSITORY"] = Path.Combine(root, "restic-repository"),
            ["RESTIC_PASSWORD"] = "portal-benchmark",
            ["RESTIC_CACHE_DIR"] = Path.Combine(root, "restic-cache"),
        };

        private readonly Dictionary<string, string> _gitEnvironment = new()
        {
            ["GIT_AUTHOR_NAME"] = "bench",
            ["GIT_AUTHOR_EMAIL"] = "bench@example.org",
            ["GIT_COMMITTER_NAME"] = "bench",
            ["GIT_COMMITTER_EMAIL"] = "bench@example.org",
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        };

        private bool _restic;
        private bool _git;
        private bool _gnuTime;

        /// <summary>A Release build of the CLI in the run's folder; the peers looked up.</summary>
        public async Task PrepareAsync()
        {
            var repository = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(repository.FullName, "Portal.sln")))
                repository = repository.Parent ?? throw new InvalidOperationException("Run the benchmarks from the repository.");
            Console.Error.WriteLine("building the CLI (Release)");
            var build = await RunAsync("dotnet", ["build", Path.Combine(repository.FullName, "src", "Portal.Cli"), "-c", "Release",
                "-o", Path.GetDirectoryName(_cli)!, "-nologo", "-v", "q", "-clp:ErrorsOnly"], null, null);
            if (build.ExitCode != 0)
                throw new InvalidOperationException("the CLI did not build");
            _restic = Exists("restic");
            _git = Exists("git");
            _gnuTime = File.Exists("/usr/bin/time");
            if (!_restic || !_git || !Exists("openssl"))
                Console.Error.WriteLine("restic, git or openssl is missing: install them with infra/scripts/install-peers.sh; their figures are skipped");
            if (_restic)
                await RequireAsync(await RunAsync("restic", ["init", "--quiet"], null, _resticEnvironment), "restic init");
            if (Exists("python3"))
                _pythonPackage = Path.Combine(repository.FullName, "src", "portal-py");
            else
                Console.Error.WriteLine("python3 is missing: the Python client's figures are skipped");
        }

        /// <summary><c>python3 -m portal put</c>, with the same cache rule as <see cref="PortalPutAsync"/>.</summary>
        public async Task<double?> PythonPutAsync(string @case, string tree, string artifact, bool freshCache)
        {
            if (_pythonPackage is null)
                return null;
            var cache = Path.Combine(root, $"python-cache-{artifact}");
            if (freshCache && Directory.Exists(cache))
                Directory.Delete(cache, recursive: true);
            var environment = new Dictionary<string, string>(_pythonEnvironment) { ["PORTAL_CACHE_DIR"] = cache, ["PYTHONPATH"] = _pythonPackage };
            return await TimedAsync(@case, "python_put", "python3", ["-m", "portal", "put", tree, "-n", artifact, "-t", "dataset"], environment, server: true);
        }

        public async Task<double?> PythonGetAsync(string @case, string artifact, string target)
        {
            if (_pythonPackage is null)
                return null;
            var environment = new Dictionary<string, string>(_pythonEnvironment)
            {
                ["PORTAL_CACHE_DIR"] = Path.Combine(root, $"python-cache-{Guid.NewGuid():N}"),
                ["PYTHONPATH"] = _pythonPackage,
            };
            var seconds = await TimedAsync(@case, "python_get", "python3", ["-m", "portal", "get", $"{artifact}:latest", "-o", target], environment, server: true);
            Directory.Delete(target, recursive: true);
            return seconds;
        }

        public async Task<double?> PortalPutAsync(string @case, string tree, string artifact, bool freshCache)
        {
            // A fresh put starts without the digest cache; later puts of the tree keep it, as git keeps its index.
            var cache = Path.Combine(root, $"portal-cache-{artifact}");
            if (freshCache && Directory.Exists(cache))
                Directory.Delete(cache, recursive: true);
            var environment = new Dictionary<string, string>(_portalEnvironment) { ["PORTAL_CACHE_DIR"] = cache };
            return await TimedAsync(@case, "portal_put", "dotnet", [_cli, "artifact", "put", tree, "-n", artifact, "-t", "dataset"], environment, server: true);
        }

        public async Task<double?> PortalGetAsync(string @case, string artifact, string target)
        {
            var environment = new Dictionary<string, string>(_portalEnvironment)
            {
                ["PORTAL_CACHE_DIR"] = Path.Combine(root, $"portal-cache-{Guid.NewGuid():N}"),
            };
            var seconds = await TimedAsync(@case, "portal_get", "dotnet", [_cli, "artifact", "get", $"{artifact}:latest", "-o", target], environment, server: true);
            Directory.Delete(target, recursive: true);
            return seconds;
        }

        public async Task<double?> GitCommitAsync(string @case, string tree)
        {
            if (!_git)
                return null;
            var gitDirectory = GitDirectory(tree);
            if (!Directory.Exists(gitDirectory))
                await RequireAsync(await RunAsync("git", [.. Git(tree), "init", "-q"], null, _gitEnvironment), "git init");
            // add and commit are one user action; time them as one.
            var watch = Stopwatch.StartNew();
            var add = await TimedAsync(@case, "git_add", "git", [.. Git(tree), "add", "-A"], _gitEnvironment);
            var commit = await TimedAsync(@case, "git_commit", "git", [.. Git(tree), "commit", "-q", "-m", @case], _gitEnvironment);
            var seconds = watch.Elapsed.TotalSeconds;
            if (add is null || commit is null)
                return null;
            BenchContext.Report(Scenario, $"{@case}.git_add_commit", seconds, "s");
            return seconds;
        }

        /// <summary>The repository lives beside the tree, so the portal's later puts of the tree do not carry it.</summary>
        private string GitDirectory(string tree) => Path.Combine(root, $"git-{Path.GetFileName(Path.GetDirectoryName(tree))}");

        private string[] Git(string tree) => ["--git-dir", GitDirectory(tree), "--work-tree", tree];

        public async Task<double?> GitStatusAsync(string @case, string tree) =>
            _git ? await TimedAsync(@case, "git_status", "git", [.. Git(tree), "status", "--porcelain"], _gitEnvironment) : null;

        public async Task<double?> GitCloneAsync(string @case, string tree, string target)
        {
            if (!_git)
                return null;
            // A file:// URL transfers packs as a remote would; a plain path would hard-link the objects.
            var seconds = await TimedAsync(@case, "git_clone", "git", ["clone", "-q", $"file://{GitDirectory(tree)}", target], _gitEnvironment);
            Directory.Delete(target, recursive: true);
            return seconds;
        }

        public async Task<double?> ResticBackupAsync(string @case, string tree) =>
            _restic
                ? await TimedAsync(@case, "restic_backup", "restic", ["backup", "--quiet", "--tag", @case, tree], _resticEnvironment)
                : null;

        public async Task<double?> ResticRestoreAsync(string @case, string target)
        {
            if (!_restic)
                return null;
            var seconds = await TimedAsync(@case, "restic_restore", "restic", ["restore", "latest", "--quiet", "--tag", @case, "--target", target], _resticEnvironment);
            Directory.Delete(target, recursive: true);
            return seconds;
        }

        public async Task<double?> OpensslAsync(string @case, string tree)
        {
            if (!Exists("openssl"))
                return null;
            var files = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
            return await TimedAsync(@case, "openssl_sha256", "openssl", ["dgst", "-sha256", .. files], null);
        }

        public async Task<double?> CopyAsync(string @case, string tree, string target)
        {
            var seconds = await TimedAsync(@case, "cp", "cp", ["-r", tree, target], null);
            Directory.Delete(target, recursive: true);
            return seconds;
        }

        /// <summary>
        /// Times one command; reports its seconds and peak RSS, and the server's peak RSS when it talks to the server.
        /// </summary>
        private async Task<double?> TimedAsync(string @case, string tool, string file, string[] arguments, Dictionary<string, string>? environment, bool server = false)
        {
            if (server)
                BenchContext.ResetPeakMemory();
            var rssFile = Path.Combine(root, "rss.txt");
            var (command, commandArguments) = _gnuTime
                ? ("/usr/bin/time", (string[])["-f", "%M", "-o", rssFile, file, .. arguments])
                : (file, arguments);
            var watch = Stopwatch.StartNew();
            var result = await RunAsync(command, commandArguments, null, environment);
            var seconds = watch.Elapsed.TotalSeconds;
            await RequireAsync(result, $"{tool} ({@case})");
            BenchContext.Report(Scenario, $"{@case}.{tool}", seconds, "s");
            if (_gnuTime && File.Exists(rssFile)
                && long.TryParse(File.ReadAllLines(rssFile).LastOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kilobytes))
                BenchContext.Report(Scenario, $"{@case}.{tool}_rss", kilobytes / 1024.0, "MB");
            if (server && BenchContext.PeakMemoryMegabytes() is { } serverPeak)
                BenchContext.Report(Scenario, $"{@case}.{tool}_server_rss", serverPeak, "MB");
            return seconds;
        }

        private static async Task RequireAsync((int ExitCode, string Output) result, string what)
        {
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"{what} exited with {result.ExitCode}: {result.Output}");
            await Task.CompletedTask;
        }

        private static bool Exists(string tool) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, tool)));

        private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string? workingDirectory, Dictionary<string, string>? environment)
        {
            var start = new ProcessStartInfo(file, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            };
            foreach (var (name, value) in environment ?? [])
                start.Environment[name] = value;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var text = (await output) + (await error);
            return (process.ExitCode, text.Length > 2000 ? text[^2000..] : text);
        }
    }
}
