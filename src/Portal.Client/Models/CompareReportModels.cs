namespace Portal.Client.Models;

/// <summary>One row that differs between two versions of a CSV/JSONL file; <c>changedFields</c> only for modified rows.</summary>
public sealed record RowChange(string Kind, string? Key, long? OldLine, long? NewLine, string? Before, string? After, IReadOnlyList<string> ChangedFields);

/// <summary>
/// Row-level changes of one tabular file: keyed by <see cref="KeyColumn"/> when the rows have one (a row with the same key
/// and other content is modified), else by row content (a changed row is one removed plus one added).
/// </summary>
public sealed record FileRowDiff(
    string Path,
    string? OldPath,
    string Format,
    string? KeyColumn,
    long OldRows,
    long NewRows,
    long Added,
    long Removed,
    long Modified,
    long Unchanged,
    IReadOnlyList<RowChange> Samples,
    bool SamplesTruncated);

/// <summary>Size and content statistics of a version, as a compare report shows them.</summary>
public sealed record VersionStatistics(long Files, long Bytes, long TabularFiles, long Rows, double MeanTextLength, int DistinctLabels);

/// <summary>One line of the drift table: a distribution compared by its population stability index.</summary>
public sealed record DriftRow(string Metric, string Field, double Psi, string Status, IReadOnlyList<DriftBucket> Buckets);

/// <summary>One bucket of a numeric field's distribution, used to measure drift.</summary>
public sealed record DriftBucket(string Bucket, double From, double To);

/// <summary>A compare report as listed: which versions, its state and when it was made.</summary>
public sealed record CompareReportSummary(
    Guid Id,
    Guid FromVersionId,
    Guid ToVersionId,
    string? KeyColumn,
    string State,
    double Progress,
    string Summary,
    DateTimeOffset QueuedAt,
    DateTimeOffset? FinishedAt);

/// <summary>A compare report of two versions with its findings, once it has run.</summary>
public sealed record CompareReportResponse(
    CompareReportSummary Report,
    VersionDiffSummary? Files,
    IReadOnlyList<VersionDiffItem> FileChanges,
    bool FileChangesTruncated,
    IReadOnlyList<FileRowDiff> Rows,
    VersionStatistics? FromStatistics,
    VersionStatistics? ToStatistics,
    IReadOnlyList<DriftRow> Drift);

/// <summary>
/// Asks for a report between any two committed versions of the project, each named as anywhere else: its id,
/// <c>artifact:v3</c>, <c>artifact:&lt;alias&gt;</c> or <c>artifact:&lt;manifest digest prefix&gt;</c>;
/// <c>keyColumn</c> keys the row diff (null picks id/key/uuid when present).
/// </summary>
public sealed record CompareReportRequest(string From, string To, string? KeyColumn = null);

/// <summary>An interactive row diff of one file pair (read straight from the blob store, not stored).</summary>
public sealed record RowDiffResponse(FileRowDiff Diff, IReadOnlyList<string> Columns);
