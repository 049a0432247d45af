using CsCheck;

namespace Portal.Core.Tests;

/// <summary>
/// How property tests sample: from a fixed seed (so CI runs the same cases every time) unless
/// <c>PORTAL_PROPERTY_SEED</c> names another, with a bounded number of iterations. A failure message names the seed
/// of the failing case, to be set in <c>PORTAL_PROPERTY_SEED</c> to reproduce it.
/// </summary>
internal static class PropertyRuns
{
    public static string Seed =>
        Environment.GetEnvironmentVariable("PORTAL_PROPERTY_SEED") is { Length: > 0 } seed ? seed : new PCG(20261203).ToString();

    /// <summary>Iterations for a property whose case costs microseconds.</summary>
    public const int Fast = 2_000;

    /// <summary>Iterations for a property whose case touches a database.</summary>
    public const int Slow = 60;
}
