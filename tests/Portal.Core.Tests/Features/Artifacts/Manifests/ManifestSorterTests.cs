using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Tests.Storage;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public sealed class ManifestSorterTests : IDisposable
{
    private readonly TemporaryFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Sorts_in_memory_when_everything_fits()
    {
        var expected = ManifestVectors.Docs(1000);
        var sorter = new ManifestSorter(maxEntriesInMemory: 1000, _temp.Path);

        var sorted = await sorter.SortAsync(Shuffled(expected).ToAsyncEnumerable()).ToListAsync();

        Assert.Equal(expected, sorted);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(3)]     // 3,334 runs: more than the merge width, so runs are merged in a cascade.
    [InlineData(999)]
    public async Task Spills_sorted_runs_and_merges_them(int maxEntriesInMemory)
    {
        var expected = ManifestVectors.Docs(10_000)
            .Select((e, i) => i % 3 == 0 ? e with { Ref = $"s3://bucket/{i}", ExtraJson = $"{{\"i\":{i}}}" } : e)
            .ToList();
        var sorter = new ManifestSorter(maxEntriesInMemory, _temp.Path);
        var sawSpillFiles = false;

        var sorted = new List<ManifestEntry>();
        await foreach (var entry in sorter.SortAsync(Shuffled(expected).ToAsyncEnumerable()))
        {
            sawSpillFiles |= Directory.EnumerateFiles(_temp.Path, "*.run", SearchOption.AllDirectories).Any();
            sorted.Add(entry);
        }

        Assert.True(sawSpillFiles);
        Assert.Equal(expected, sorted);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Sorts_by_utf8_bytes()
    {
        var digest = ManifestVectors.Sha256Hex("x");
        string[] paths = ["b", "\U0001F600", "\uE000", "a/b", "a-b", "A", "\u00E9", "a"];
        var sorter = new ManifestSorter(maxEntriesInMemory: 2, _temp.Path);

        var sorted = await sorter.SortAsync(paths.Select(p => new ManifestEntry(p, digest, 1)).ToAsyncEnumerable()).ToListAsync();

        Assert.Equal(["A", "a", "a-b", "a/b", "b", "\u00E9", "\uE000", "\U0001F600"], sorted.Select(e => e.Path));
    }

    [Theory]
    [InlineData(100_000)] // duplicate found in memory
    [InlineData(10)]      // duplicate found within one spilled run
    [InlineData(2)]       // duplicate found only while merging runs
    public async Task Duplicate_paths_are_400_and_spill_files_are_removed(int maxEntriesInMemory)
    {
        var entries = ManifestVectors.Docs(500);
        entries.Add(entries[123] with { Size = 42 });
        var sorter = new ManifestSorter(maxEntriesInMemory, _temp.Path);

        var error = await Assert.ThrowsAsync<PortalException>(() => sorter.SortAsync(Shuffled(entries).ToAsyncEnumerable()).ToListAsync().AsTask());

        Assert.Equal((400, ErrorCodes.PathDuplicate), (error.Status, error.Code));
        Assert.Equal("docs/file-00123.txt", error.Extensions["path"]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Spill_files_are_removed_when_the_source_fails_or_the_consumer_stops()
    {
        var sorter = new ManifestSorter(maxEntriesInMemory: 10, _temp.Path);

        await Assert.ThrowsAsync<InvalidOperationException>(() => sorter.SortAsync(FailingSource()).ToListAsync().AsTask());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));

        await foreach (var _ in sorter.SortAsync(ManifestVectors.Docs(100).ToAsyncEnumerable()))
            break;
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));

        static async IAsyncEnumerable<ManifestEntry> FailingSource()
        {
            foreach (var entry in ManifestVectors.Docs(55))
            {
                await Task.Yield();
                yield return entry;
            }
            throw new InvalidOperationException("upload aborted");
        }
    }

    [Fact]
    public async Task Sorted_output_builds_the_same_manifest_as_sorted_input()
    {
        var entries = ManifestVectors.Docs();
        var sorter = new ManifestSorter(maxEntriesInMemory: 1500, _temp.Path);

        var summary = await ManifestRangeBuilder.BuildAsync(sorter.SortAsync(Shuffled(entries).ToAsyncEnumerable()));

        Assert.Equal(ManifestRangeBuilder.Build(entries).Digest, summary.Digest);
    }

    private static List<ManifestEntry> Shuffled(IEnumerable<ManifestEntry> entries)
    {
        var list = entries.ToList();
        new Random(42).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
        return list;
    }
}
