using System.Globalization;
using System.Text.Json;

namespace Portal.Web.Components.Shared;

/// <summary>How the pages write sizes, digests, times and JSON, so every page says them the same way.</summary>
public static class DisplayFormat
{
    private static readonly string[] Units = ["B", "KB", "MB", "GB", "TB", "PB"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " B"
            : value.ToString(value < 10 ? "0.0#" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    public static string Bytes(long? bytes) => bytes is { } b ? Bytes(b) : "";

    /// <summary>The first 12 hex digits: enough to tell digests apart on a page, short enough to read.</summary>
    public static string ShortDigest(string? digest) => digest is null ? "" : digest.Length > 12 ? digest[..12] : digest;

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);

    /// <summary>"just now", "12 min ago", "5 h ago", "3 d ago", then the date.</summary>
    public static string Age(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        return age switch
        {
            { TotalMinutes: < 1 } => "just now",
            { TotalHours: < 1 } => $"{(int)age.TotalMinutes} min ago",
            { TotalDays: < 1 } => $"{(int)age.TotalHours} h ago",
            { TotalDays: < 30 } => $"{(int)age.TotalDays} d ago",
            _ => $"on {Day(at)}",
        };
    }

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    public static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        if (span.TotalMinutes < 1)
            return $"{span.Seconds}s";
        if (span.TotalHours < 1)
            return $"{span.Minutes}m {span.Seconds}s";
        if (span.TotalDays < 1)
            return $"{(int)span.TotalHours}h {span.Minutes}m";
        return $"{(int)span.TotalDays}d {span.Hours}h";
    }

    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Indented JSON text; shown inside &lt;pre&gt; as text, never as markup.</summary>
    public static string Json(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } e ? JsonSerializer.Serialize(e, Indented) : "{}";

    public static bool IsEmptyObject(JsonElement? element) =>
        element is not { ValueKind: JsonValueKind.Object } e || !e.EnumerateObject().Any();

    /// <summary>A metric or summary value as people read it: 0.9312, 1.2e-05, 12,400.</summary>
    public static string Number(double value) =>
        Math.Abs(value) is >= 1e-3 and < 1e6 || value == 0
            ? value.ToString("0.####", CultureInfo.InvariantCulture)
            : value.ToString("0.###e+0", CultureInfo.InvariantCulture);
}
