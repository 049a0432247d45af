using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Portal.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Storage;

/// <summary>Runs against Azurite when <c>PORTAL_TEST_AZURITE</c> holds its connection string (infra/scripts/start-blob-servers.sh).</summary>
public sealed class AzureBlobStoreContractTests(ITestOutputHelper output) : BlobStoreContractTests(output)
{
    private BlobContainerClient? _container;

    public static string? ConnectionString => Environment.GetEnvironmentVariable("PORTAL_TEST_AZURITE");

    protected override int ChunkSize => AzureBlobStore.BlockSize;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        Skip.If(string.IsNullOrEmpty(ConnectionString), "PORTAL_TEST_AZURITE is not set; infra/scripts/start-blob-servers.sh starts Azurite.");
        // A container per test, created by the store on its first write.
        _container = AzureBlobStore.CreateContainerClient(new AzureBlobStoreOptions
        {
            ConnectionString = ConnectionString,
            Container = "portal-test-" + Guid.NewGuid().ToString("N")[..20],
        });
        return Task.FromResult<IBlobStore>(new AzureBlobStore(_container, Clock));
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_container is not null)
            await _container.DeleteIfExistsAsync();
    }

    protected override async Task CorruptAsync(string digest, long offset)
    {
        var blob = _container!.GetBlobClient(AzureBlobStore.GetBlobName(digest));
        var bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[offset] ^= 0xFF;
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
    }

    protected override async Task CreateAbandonedTempAsync()
    {
        await _container!.CreateIfNotExistsAsync();
        await _container.UploadBlobAsync(AzureBlobStore.TempPrefix + Guid.NewGuid().ToString("N"), new BinaryData(new byte[] { 1, 2, 3 }));
    }

    protected override async Task<int> CountTempObjectsAsync()
    {
        if (!(await _container!.ExistsAsync()).Value)
            return 0;
        var count = 0;
        await foreach (var _ in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = AzureBlobStore.TempPrefix }))
            count++;
        return count;
    }
}
