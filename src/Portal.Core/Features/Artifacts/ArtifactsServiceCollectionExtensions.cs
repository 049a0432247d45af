using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

public static class ArtifactsServiceCollectionExtensions
{
    /// <summary>Blob uploads, version creation and commit, aliases, and reading versions (listings, files, diffs, look-ups).</summary>
    public static IServiceCollection AddArtifactsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        // Registered before the object store, which then stays below it (see AddPortalBlobStore).
        services.AddSingleton<Packs.PackAwareBlobStore>();
        services.AddSingleton<IBlobStore>(provider => provider.GetRequiredService<Packs.PackAwareBlobStore>());
        services.AddScoped<Packs.PackCompaction>();
        services.AddPortalBlobStore(configuration);
        services.AddScoped<BlobUploads>();
        services.AddScoped<BlobUploadSessions>();
        services.AddScoped<BlobDownloads>();
        services.AddSingleton(provider => BulkInserts.For(provider.GetRequiredService<Data.DatabaseOptions>().Provider));
        services.AddScoped<ArtifactWrites>();
        services.AddScoped<RangeWriter>();
        services.AddSingleton<BlobRangeIndexer>();
        services.AddHostedService<BlobRangeIndexing>();
        services.AddScoped<CreateVersion>();
        services.AddHostedService<Manifests.SpillFolderCleanup>();
        services.AddScoped<CommitVersion>();
        services.AddScoped<ArtifactAliases>();
        services.AddScoped<ArtifactCatalog>();
        services.AddScoped<VersionFiles>();
        services.AddScoped<VersionDiff>();
        services.AddScoped<VersionSpecs>();
        services.AddScoped<ContainingVersions>();
        services.AddScoped<VersionContent>();
        services.AddScoped<Data.IDemoDataContributor, DemoArtifacts>();
        services.AddScoped<VersionOverview>();
        services.AddScoped<AliasTimeline>();
        services.AddScoped<FilePreview>();
        services.AddScoped<VersionFileDiff>();
        return services;
    }
}
