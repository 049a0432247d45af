using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// The sorter's spill folders, <c>portal-sort-&lt;pid&gt;-&lt;id&gt;</c> in the temp folder. A process that dies while
/// sorting (killed, out of memory, power cut) leaves its folder behind; at start the portal deletes the folders whose
/// owning process is gone, never those of another portal still running on the same machine.
/// </summary>
public static class SpillFolders
{
    public const string Prefix = "portal-sort-";

    /// <summary>Folders from before the process id was in the name are deleted once this old.</summary>
    public static readonly TimeSpan UnownedAge = TimeSpan.FromDays(1);

    public static string NewName() =>
        $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";

    /// <summary>Deletes the spill folders in <paramref name="tempRoot"/> left by processes that no longer run; returns how many.</summary>
    public static int DeleteAbandoned(string tempRoot, DateTime utcNow)
    {
        if (!Directory.Exists(tempRoot))
            return 0;
        var deleted = 0;
        foreach (var folder in new DirectoryInfo(tempRoot).EnumerateDirectories(Prefix + "*"))
        {
            if (!IsAbandoned(folder, utcNow))
                continue;
            try
            {
                folder.Delete(recursive: true);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's folder or one being deleted concurrently: not ours to insist on.
            }
        }
        return deleted;
    }

    private static bool IsAbandoned(DirectoryInfo folder, DateTime utcNow)
    {
        var rest = folder.Name.AsSpan(Prefix.Length);
        var dash = rest.IndexOf('-');
        if (dash <= 0 || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            return utcNow - folder.LastWriteTimeUtc > UnownedAge;
        if (pid == Environment.ProcessId)
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            // A process id reused by a process started after the folder was last written is not its owner.
            return process.HasExited || process.StartTime.ToUniversalTime() > folder.LastWriteTimeUtc.AddSeconds(1);
        }
        catch (ArgumentException)
        {
            return true; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return true; // exited between the look-up and the question
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // running, but its start time is not ours to read
        }
    }
}

/// <summary>Runs <see cref="SpillFolders.DeleteAbandoned"/> on the system temp folder when the portal starts.</summary>
public sealed class SpillFolderCleanup(TimeProvider clock, ILogger<SpillFolderCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var deleted = SpillFolders.DeleteAbandoned(Path.GetTempPath(), clock.GetUtcNow().UtcDateTime);
        if (deleted > 0)
            logger.LogInformation("Deleted {Count} manifest sort folders left by processes that ended", deleted);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
