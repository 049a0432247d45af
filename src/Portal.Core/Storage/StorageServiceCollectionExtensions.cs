using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IBlobStore"/> (the file-system store) configured from the <c>Storage</c> section.</summary>
    public static IServiceCollection AddPortalBlobStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BlobStoreOptions>(configuration.GetSection(BlobStoreOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBlobStore, FileSystemBlobStore>();
        return services;
    }
}
