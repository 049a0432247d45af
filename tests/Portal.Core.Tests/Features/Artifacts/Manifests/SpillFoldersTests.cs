using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Tests.Storage;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public sealed class SpillFoldersTests : IDisposable
{
    private readonly TemporaryFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Folders_of_ended_processes_are_deleted_and_those_of_running_ones_kept()
    {
        var deadPid = EndedProcessId();
        using var running = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            var dead = Folder($"{SpillFolders.Prefix}{deadPid}-{Guid.NewGuid():N}", withFile: true);
            var alive = Folder($"{SpillFolders.Prefix}{running.Id}-{Guid.NewGuid():N}");
            var own = Folder(SpillFolders.NewName());
            var oldUnowned = Folder($"{SpillFolders.Prefix}{Guid.NewGuid():N}");
            Directory.SetLastWriteTimeUtc(oldUnowned, DateTime.UtcNow.AddDays(-2));
            var recentUnowned = Folder($"{SpillFolders.Prefix}{Guid.NewGuid():N}");
            var unrelated = Folder($"other-{deadPid}-{Guid.NewGuid():N}");

            var deleted = SpillFolders.DeleteAbandoned(_temp.Path, DateTime.UtcNow);

            Assert.Equal(2, deleted);
            Assert.False(Directory.Exists(dead));
            Assert.False(Directory.Exists(oldUnowned));
            Assert.All(new[] { alive, own, recentUnowned, unrelated }, f => Assert.True(Directory.Exists(f), f + " was deleted"));
        }
        finally
        {
            running.Kill();
        }
    }

    [Fact]
    public async Task The_portal_deletes_a_dead_process_folder_from_the_temp_folder_at_start()
    {
        var dead = Path.Combine(Path.GetTempPath(), $"{SpillFolders.Prefix}{EndedProcessId()}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dead);
        await File.WriteAllTextAsync(Path.Combine(dead, "run-0.bin"), "left behind");

        await new SpillFolderCleanup(TimeProvider.System, NullLogger<SpillFolderCleanup>.Instance).StartAsync(CancellationToken.None);

        Assert.False(Directory.Exists(dead));
    }

    [Fact]
    public void A_spill_folder_name_carries_the_process_id()
    {
        Assert.StartsWith($"{SpillFolders.Prefix}{Environment.ProcessId}-", SpillFolders.NewName(), StringComparison.Ordinal);
    }

    private string Folder(string name, bool withFile = false)
    {
        var path = Directory.CreateDirectory(Path.Combine(_temp.Path, name)).FullName;
        if (withFile)
            File.WriteAllText(Path.Combine(path, "run-0.bin"), "sorted entries");
        return path;
    }

    private static int EndedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }
}
