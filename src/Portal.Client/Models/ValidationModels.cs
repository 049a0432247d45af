namespace Portal.Client.Models;

/// <summary>How much a failed check weighs: <c>off</c> skips it, <c>error</c> fails the validation.</summary>
public static class CheckSeverity
{
    public const string Off = "off";
    public const string Info = "info";
    public const string Warning = "warning";
    public const string Error = "error";

    public static readonly IReadOnlyList<string> All = [Off, Info, Warning, Error];

    /// <summary>Higher is worse; <c>off</c> is 0.</summary>
    public static int Rank(string severity) => severity switch
    {
        Info => 1,
        Warning => 2,
        Error => 3,
        _ => 0,
    };
}

/// <summary>A field every JSONL object (or CSV column) must carry, with its JSON type (<c>any</c> accepts every type but null).</summary>
public sealed record RequiredField(string Name, string Type = "any");

/// <summary>
/// The checks run on every committed version of one artifact type in a project (type <c>*</c> is the project's
/// default). Each check has a severity; a finding of severity <c>error</c> fails the validation.
/// </summary>
public sealed record ValidationRules
{
    public IReadOnlyList<RequiredField> RequiredFields { get; init; } = [];

    public string SchemaSeverity { get; init; } = CheckSeverity.Error;

    public string PiiSeverity { get; init; } = CheckSeverity.Warning;

    /// <summary>Version metadata must carry an SPDX licence id (<c>license</c>).</summary>
    public string LicenseSeverity { get; init; } = CheckSeverity.Warning;

    public long? MaxTotalBytes { get; init; }

    public long? MaxFiles { get; init; }

    public long? MinRows { get; init; }

    public long? MaxRows { get; init; }

    public string BoundsSeverity { get; init; } = CheckSeverity.Error;

    public string DuplicatesSeverity { get; init; } = CheckSeverity.Warning;

    public string EmptyFilesSeverity { get; init; } = CheckSeverity.Warning;

    /// <summary>The field whose text length is profiled; null picks the first of text, content, prompt, input, question, document.</summary>
    public string? TextField { get; init; }

    /// <summary>The field whose label distribution is profiled; null picks the first of label, labels, category, class, target.</summary>
    public string? LabelField { get; init; }

    /// <summary>Population stability index at or above which drift is a warning.</summary>
    public double DriftWarnPsi { get; init; } = 0.1;

    /// <summary>Population stability index at or above which drift has <see cref="DriftSeverity"/>.</summary>
    public double DriftFailPsi { get; init; } = 0.25;

    public string DriftSeverity { get; init; } = CheckSeverity.Error;
}

/// <summary>The validation rules for an artifact type (the defaults when none were set).</summary>
public sealed record ValidationRuleSetResponse(string ArtifactType, ValidationRules Rules, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>Where a finding was seen: <c>line</c> is 1-based; <c>excerpt</c> is redacted for personal data and secrets.</summary>
public sealed record FindingLocation(long Line, string Excerpt);

/// <summary>One finding of a validation: which check, how severe, and where.</summary>
public sealed record ValidationFindingResponse(
    string Check,
    string Code,
    string Severity,
    string Message,
    string? Path,
    long Count,
    IReadOnlyList<FindingLocation> Locations);

/// <summary>The job state of a validation or report: <c>missing</c>, <c>queued</c>, <c>running</c>, <c>passed</c>, <c>failed</c>.</summary>
public static class JobStates
{
    public const string Missing = "missing";
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Finished = "finished";
}

/// <summary>The validation of a version: its state, progress, counts and findings.</summary>
public sealed record ValidationResponse(
    Guid VersionId,
    string State,
    double Progress,
    string Summary,
    int Errors,
    int Warnings,
    int Infos,
    long FilesScanned,
    long BytesScanned,
    long RowsScanned,
    DateTimeOffset? QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? ArtifactType,
    IReadOnlyList<ValidationFindingResponse> Findings);
