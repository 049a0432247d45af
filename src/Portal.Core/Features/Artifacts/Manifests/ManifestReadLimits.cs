using Portal.Client;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Bounds the work one manifest body may cause. Without them a 1 MB gzip of newlines inflated to a gigabyte of empty
/// lines and cost half a minute of server CPU.
/// </summary>
/// <param name="MaxInflationRatio">Inflated bytes allowed per compressed byte read so far (after a 1 MiB allowance).</param>
/// <param name="MaxInflatedBytes">Largest manifest after decompression.</param>
/// <param name="MaxBlankLines">Blank lines allowed in all.</param>
public sealed record ManifestReadLimits(int MaxInflationRatio, long MaxInflatedBytes, int MaxBlankLines)
{
    /// <summary>Inflated bytes always allowed, so that tiny manifests of repetitive paths are never refused for their ratio.</summary>
    public const long RatioAllowanceBytes = 1024 * 1024;

    public static ManifestReadLimits Default { get; } = new(100, 16L * 1024 * 1024 * 1024, 10_000);

    internal void CheckInflated(long inflated, long compressed)
    {
        if (inflated > MaxInflatedBytes)
        {
            throw new PortalException(413, ErrorCodes.ManifestTooLarge,
                $"The gzip manifest inflates to more than {MaxInflatedBytes:N0} bytes, the most this server accepts (setting Storage:MaxInflatedManifestBytes). Split the artifact or ask an administrator.",
                new Dictionary<string, object?> { ["limit"] = MaxInflatedBytes });
        }
        if (inflated > RatioAllowanceBytes && inflated - RatioAllowanceBytes > (double)MaxInflationRatio * compressed)
        {
            throw PortalException.BadRequest(ErrorCodes.ManifestCompressionRatio,
                $"The gzip manifest inflates more than {MaxInflationRatio} times its compressed size (setting Storage:MaxManifestInflationRatio); a real manifest compresses far less. Send it uncompressed or remove the filler.",
                new Dictionary<string, object?> { ["limit"] = MaxInflationRatio });
        }
    }
}
