namespace Portal.Cli.Tests;

public sealed class OutputFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("portal-output-folder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Case_collisions_name_files_and_folders_that_differ_only_in_case()
    {
        string[] paths = ["README", "readme", "Data/a.txt", "data/b.txt", "x", "X/y", "fine/one", "fine/two", "ß", "SS"];

        var collisions = OutputFolder.CaseCollisions(paths);

        Assert.Equal(["\"Data/\" and \"data/\"", "\"README\" and \"readme\"", "\"X/\" and \"x\""], collisions);
    }

    [Fact]
    public void The_case_probe_leaves_nothing_behind_and_creates_no_folder()
    {
        var missing = Path.Combine(_root, "not", "yet");

        // This test machine's temporary folder is on a case-sensitive file system (ext4, tmpfs).
        Assert.False(new OutputFolder(missing).IsCaseInsensitive());
        Assert.False(new OutputFolder(_root).IsCaseInsensitive());

        Assert.False(Directory.Exists(Path.Combine(_root, "not")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public void Temporary_names_are_short_whatever_the_target_name()
    {
        var temp = Path.GetFileName(OutputFolder.TempPath(_root));

        Assert.Matches("^\\.portal-[0-9a-f]{12}\\.tmp$", temp);
    }
}
