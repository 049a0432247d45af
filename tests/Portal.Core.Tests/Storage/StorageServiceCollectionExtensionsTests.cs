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

    [Fact]
    public void Provider_AzureBlob_selects_the_Azure_store_with_its_container()
    {
        var configuration = Configuration(new()
        {
            ["Storage:Provider"] = "AzureBlob",
            ["Storage:Azure:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Storage:Azure:Container"] = "evidence",
        });

        using var services = new ServiceCollection().AddPortalBlobStore(configuration).BuildServiceProvider();

        var store = Assert.IsType<AzureBlobStore>(services.GetRequiredService<IBlobStore>());
        Assert.Equal("evidence", store.Container.Name);
    }

    [Fact]
    public void Provider_S3_selects_the_S3_store_with_its_bucket()
    {
        var configuration = Configuration(new()
        {
            ["Storage:Provider"] = "S3",
            ["Storage:S3:ServiceUrl"] = "http://127.0.0.1:9000",
            ["Storage:S3:Bucket"] = "evidence",
            ["Storage:S3:AccessKey"] = "key",
            ["Storage:S3:SecretKey"] = "secret",
            ["Storage:S3:ForcePathStyle"] = "true",
        });

        using var services = new ServiceCollection().AddPortalBlobStore(configuration).BuildServiceProvider();

        var store = Assert.IsType<S3BlobStore>(services.GetRequiredService<IBlobStore>());
        Assert.Equal("evidence", store.Bucket);
    }

    [Theory]
    [InlineData("AzureBlob", "Storage:Azure:ConnectionString")]
    [InlineData("S3", "Storage:S3:SecretKey")]
    public void Missing_settings_of_a_cloud_store_are_refused_by_the_options_check_naming_the_setting(string provider, string missing)
    {
        var configuration = Configuration(new() { ["Storage:Provider"] = provider, ["Storage:S3:AccessKey"] = "key" });

        using var services = new ServiceCollection().AddPortalBlobStore(configuration).BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => services.GetRequiredService<IBlobStore>());
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
