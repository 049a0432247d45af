using Portal.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Portal.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The DI key of the object store itself (file system, Azure Blob or S3), below any layer that uses it.</summary>
    public const string ObjectStoreKey = "objects";

    /// <summary>
    /// Registers the object store configured from the <c>Storage</c> section (keyed <see cref="ObjectStoreKey"/>):
    /// <c>Storage:Provider</c> picks the file-system (default), Azure Blob or S3 store. It is also
    /// <see cref="IBlobStore"/> unless a layer above it (packs) registered itself first.
    /// </summary>
    public static IServiceCollection AddPortalBlobStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<BlobStoreOptions>(configuration, BlobStoreOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        // Chosen when first resolved, not here, so that configuration added later (tests, hosting) still counts.
        services.TryAddKeyedSingleton<IBlobStore>(ObjectStoreKey, (provider, _) =>
            provider.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Provider switch
            {
                BlobStoreProvider.FileSystem => ActivatorUtilities.CreateInstance<FileSystemBlobStore>(provider),
                BlobStoreProvider.AzureBlob => ActivatorUtilities.CreateInstance<AzureBlobStore>(provider),
                BlobStoreProvider.S3 => ActivatorUtilities.CreateInstance<S3BlobStore>(provider),
                var other => throw new InvalidOperationException($"Storage:Provider \"{other}\" is unknown; use FileSystem, AzureBlob or S3."),
            });
        services.TryAddSingleton<IBlobStore>(provider => provider.GetRequiredKeyedService<IBlobStore>(ObjectStoreKey));
        return services;
    }
}
