using Portal.Core.Storage;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Storage;

public sealed class FileSystemBlobStoreContractTests(ITestOutputHelper output) : BlobStoreContractTests(output), IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private FileSystemBlobStore? _store;

    protected override int ChunkSize => FileSystemBlobStore.BufferSize;

    public void Dispose() => _folder.Dispose();

    protected override Task<IBlobStore> CreateStoreAsync() =>
        Task.FromResult<IBlobStore>(_store = new FileSystemBlobStore(_folder.Path, Clock));

    protected override async Task CorruptAsync(string digest, long offset)
    {
        await using var file = new FileStream(_store!.GetBlobPath(digest), FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var original = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(original ^ 0xFF));
    }

    protected override async Task CreateAbandonedTempAsync()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder.Path, "sha256", "ab", "cd")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, FileSystemBlobStore.TempFilePrefix + Guid.NewGuid().ToString("N")), [1, 2, 3]);
    }

    protected override Task<int> CountTempObjectsAsync() =>
        Task.FromResult(Directory.Exists(_folder.Path)
            ? Directory.EnumerateFiles(_folder.Path, FileSystemBlobStore.TempFilePrefix + "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Count()
            : 0);
}
