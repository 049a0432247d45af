using Portal.Core.Features.Artifacts.Manifests;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class RangeFoldersTests
{
    [Fact]
    public void A_summary_names_each_folder_holding_files_once_in_path_order()
    {
        var entries = new[] { "a.txt", "data/x.bin", "data/y.bin", "data/sub/z.bin", "data.txt", "logs/2024/01.log" }
            .Order(Utf8PathComparer.Instance).Select(p => TestManifests.Entry(p)).ToList();

        Assert.Equal("\ndata/\ndata/sub/\nlogs/2024/", RangeFolders.Summarise(entries));
    }

    [Fact]
    public void A_range_spread_over_too_many_folders_gets_no_summary()
    {
        var fits = Enumerable.Range(0, RangeFolders.MaxFolders).Select(i => TestManifests.Entry($"d-{i:D3}/f")).ToList();
        var over = Enumerable.Range(0, RangeFolders.MaxFolders + 1).Select(i => TestManifests.Entry($"d-{i:D3}/f")).ToList();
        var longNames = Enumerable.Range(0, 40).Select(i => TestManifests.Entry($"{new string('n', 120)}-{i:D2}/f")).ToList();

        Assert.NotNull(RangeFolders.Summarise(fits));
        Assert.Null(RangeFolders.Summarise(over));
        Assert.Null(RangeFolders.Summarise(longNames));
    }

    [Fact]
    public void Within_a_folder_a_summary_tells_direct_files_from_child_folders()
    {
        const string summary = "\ndata/\ndata/sub/\ndata/sub/deep/\ndata2/\nlogs/2024/";

        var root = RangeFolders.Within(summary, "");
        Assert.True(root.HasFiles);
        Assert.Equal(["data/", "data2/", "logs/"], root.Children);

        var data = RangeFolders.Within(summary, "data/");
        Assert.True(data.HasFiles);
        Assert.Equal(["data/sub/"], data.Children);

        var logs = RangeFolders.Within(summary, "logs/");
        Assert.False(logs.HasFiles);
        Assert.Equal(["logs/2024/"], logs.Children);

        var elsewhere = RangeFolders.Within(summary, "other/");
        Assert.False(elsewhere.HasFiles);
        Assert.Empty(elsewhere.Children);
    }
}
