using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Storage;
using Xunit;

namespace Portal.Core.Tests.Storage;

public class StorageServiceCollectionExtensionsTests
{
    [Fact]
    public void Blob_store_root_comes_from_the_Storage_section()
    {
        using var folder = new TemporaryFolder();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:Root"] = folder.Path })
            .Build();

        using var services = new ServiceCollection().AddPortalBlobStore(configuration).BuildServiceProvider();

        var store = Assert.IsType<FileSystemBlobStore>(services.GetRequiredService<IBlobStore>());
        Assert.Equal(folder.Path, store.Root);
        Assert.Same(store, services.GetRequiredService<IBlobStore>());
    }

    [Fact]
    public void Default_root_is_data_blobs()
    {
        using var services = new ServiceCollection().AddPortalBlobStore(new ConfigurationBuilder().Build()).BuildServiceProvider();

        var store = Assert.IsType<FileSystemBlobStore>(services.GetRequiredService<IBlobStore>());
        Assert.Equal(Path.GetFullPath("data/blobs"), store.Root);
    }
}
