using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Core.Storage;

namespace Portal.Web.Features.Health;

/// <summary>
/// The object store answers: its folder can be listed (file system), or a lookup of a blob that is never stored
/// gets an answer rather than an error (Azure Blob, S3). Reads no blob and writes nothing.
/// </summary>
public sealed class BlobStoreHealthCheck(IBlobStore store) : IHealthCheck
{
    // The SHA-256 of no bytes: a valid name that no upload stores as an object of its own.
    private const string ProbeDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (store is FileSystemBlobStore files)
            {
                // A new install has no folder yet; the first upload creates it, so creating it here is no side effect.
                Directory.CreateDirectory(files.Root);
                _ = Directory.EnumerateFileSystemEntries(files.Root).FirstOrDefault();
            }
            else
            {
                await store.ExistsAsync(ProbeDigest, cancellationToken);
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The blob store did not answer: {ex.Message}", ex);
        }
    }
}
