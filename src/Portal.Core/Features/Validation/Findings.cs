using Portal.Client.Models;

namespace Portal.Core.Features.Validation;

public static class ValidationChecks
{
    public const string Schema = "schema";
    public const string Pii = "pii";
    public const string Secrets = "secrets";
    public const string License = "license";
    public const string Bounds = "bounds";
    public const string Duplicates = "duplicates";
    public const string EmptyFiles = "empty_files";
    public const string Drift = "drift";

    /// <summary>Files that could not be opened or read to their end.</summary>
    public const string Files = "files";

    /// <summary>Paths that cannot all be checked out everywhere (letter case only differs).</summary>
    public const string Paths = "paths";
}

/// <summary>One kind of problem in one file (or the whole version when <see cref="Path"/> is null), counted.</summary>
public sealed class Finding
{
    public const int MaxLocations = 20;

    public required string Check { get; init; }

    public required string Code { get; init; }

    public required string Severity { get; init; }

    public required string Message { get; set; }

    public string? Path { get; init; }

    public long Count { get; set; }

    public List<FindingLocation> Locations { get; } = [];
}

/// <summary>Gathers findings, one per (code, path), counting every occurrence and keeping the first locations.</summary>
public sealed class FindingCollector
{
    private readonly Dictionary<(string Code, string? Path), Finding> _findings = [];

    public IReadOnlyCollection<Finding> All => _findings.Values;

    public Finding Add(string check, string code, string severity, string? path, string message, long line = 0, string? excerpt = null, long count = 1)
    {
        if (!_findings.TryGetValue((code, path), out var finding))
        {
            finding = new Finding { Check = check, Code = code, Severity = severity, Path = path, Message = message };
            _findings.Add((code, path), finding);
        }

        finding.Count += count;
        if (line > 0 && finding.Locations.Count < Finding.MaxLocations)
            finding.Locations.Add(new FindingLocation(line, excerpt ?? ""));
        return finding;
    }

    public IEnumerable<Finding> Sorted() =>
        _findings.Values.OrderByDescending(f => CheckSeverity.Rank(f.Severity)).ThenBy(f => f.Check, StringComparer.Ordinal)
            .ThenBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Code, StringComparer.Ordinal);
}
