using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;

namespace Portal.TestCommon;

/// <summary>Publishes artifact versions through the same use cases the upload API calls: blobs, create, commit.</summary>
public static class TestArtifacts
{
    public static async Task<ArtifactVersionResponse> PublishAsync(
        IServiceProvider services, ClaimsPrincipal user, string slug, string name, string type, Guid? runId, string description,
        params (string Path, string Content)[] files) =>
        await PublishWithMetadataAsync(services, user, slug, name, type, runId, description, "{\"source\":\"tests\"}", files);

    public static async Task<ArtifactVersionResponse> PublishWithMetadataAsync(
        IServiceProvider services, ClaimsPrincipal user, string slug, string name, string type, Guid? runId, string description, string metadataJson,
        params (string Path, string Content)[] files)
    {
        await using var scope = services.CreateAsyncScope();
        var blobs = scope.ServiceProvider.GetRequiredService<BlobUploads>();
        var entries = new List<ManifestEntryModel>();
        foreach (var (path, content) in files)
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await blobs.PutAsync(user, digest, new MemoryStream(bytes), bytes.Length);
            entries.Add(new ManifestEntryModel(path, digest, bytes.Length));
        }

        var created = await scope.ServiceProvider.GetRequiredService<CreateVersion>().FromEntriesAsync(
            user, slug, name, new NewVersionFields(type, description, metadataJson, null, runId), entries);
        var committed = await scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, created.VersionId!.Value);
        return committed.Version;
    }
}
