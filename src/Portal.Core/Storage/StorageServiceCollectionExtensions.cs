using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IBlobStore"/> configured from the <c>Storage</c> section: <c>Storage:Provider</c> picks the
    /// file-system (default), Azure Blob or S3 store.
    /// </summary>
    public static IServiceCollection AddPortalBlobStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BlobStoreOptions>(configuration.GetSection(BlobStoreOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        // Chosen when first resolved, not here, so that configuration added later (tests, hosting) still counts.
        services.TryAddSingleton<IBlobStore>(provider =>
            provider.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Provider switch
            {
                BlobStoreProvider.FileSystem => ActivatorUtilities.CreateInstance<FileSystemBlobStore>(provider),
                BlobStoreProvider.AzureBlob => ActivatorUtilities.CreateInstance<AzureBlobStore>(provider),
                BlobStoreProvider.S3 => ActivatorUtilities.CreateInstance<S3BlobStore>(provider),
                var other => throw new InvalidOperationException($"Storage:Provider \"{other}\" is unknown; use FileSystem, AzureBlob or S3."),
            });
        return services;
    }
}
