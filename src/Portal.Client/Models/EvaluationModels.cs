using System.Text.Json.Serialization;

namespace Portal.Client.Models;

/// <summary>
/// The first line of an evaluation log (<c>POST /api/v1/projects/{p}/evaluations</c>, <c>application/x-ndjson</c>):
/// what was evaluated, on which eval set, with which scorers. Every later line is one <see cref="EvaluationRow"/>.
/// </summary>
/// <param name="Subject">The evaluated version: <c>artifact:vN</c>, <c>artifact:alias</c>, a manifest digest or a version id.</param>
/// <param name="EvalSet">The eval-set version, named the same ways; the server pins the version it names now.</param>
/// <param name="Scorers">The scorer names rows may use in <c>scores</c> (e.g. <c>recall@5</c>, <c>exact_match</c>).</param>
/// <param name="Name">An optional label (<c>nightly</c>, <c>ablation-3</c>).</param>
/// <param name="RunId">The run that produced the evaluation, if any.</param>
public sealed record EvaluationHeader(
    string Subject,
    string EvalSet,
    IReadOnlyList<string> Scorers,
    string? Name = null,
    Guid? RunId = null);

/// <summary>The result of one example of the eval set.</summary>
/// <param name="Id">The example's id in the eval set (unique within an evaluation).</param>
/// <param name="Scores">Score per scorer; scorers not scored for this example are left out.</param>
/// <param name="LatencyMs">How long the subject took to answer, in milliseconds.</param>
/// <param name="Tokens">Tokens the example used.</param>
/// <param name="Output">The subject's answer, kept for the drill-down.</param>
public sealed record EvaluationRow(
    string Id,
    IReadOnlyDictionary<string, double> Scores,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? LatencyMs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tokens = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Output = null);

/// <summary>What the server computed for one scorer over the rows that scored it.</summary>
/// <param name="Mean">Null when no row scored it.</param>
public sealed record EvaluationScoreSummary(string Scorer, long Count, double? Mean, double? Min, double? Max);

/// <summary>A committed version named in an evaluation.</summary>
/// <param name="Spec">How the logger named it (<c>golden:production</c>); <see cref="Version"/> is what that meant then.</param>
public sealed record EvaluationVersionRef(Guid VersionId, string Artifact, string ArtifactType, string Version, string Spec);

/// <summary>A finished evaluation: immutable, its rows kept as one content-addressed blob sorted by example id.</summary>
/// <param name="RowsDigest">SHA-256 of the stored rows (canonical NDJSON sorted by example id).</param>
/// <param name="LatencyP50Ms">Median latency over the rows that reported one.</param>
/// <param name="LatencyP95Ms">95th percentile latency (nearest rank).</param>
public sealed record EvaluationResponse(
    Guid Id,
    string? Name,
    EvaluationVersionRef Subject,
    EvaluationVersionRef EvalSet,
    IReadOnlyList<EvaluationScoreSummary> Scores,
    long ExampleCount,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    long TotalTokens,
    string RowsDigest,
    long RowsSize,
    Guid? RunId,
    string CreatedBy,
    DateTimeOffset CreatedAt);

/// <summary>One cell of the matrix: the newest evaluation of a subject version on an eval-set version.</summary>
/// <param name="Delta">Change from the previous subject version that has a value in the same column; null for the first.</param>
public sealed record EvaluationMatrixCell(Guid EvaluationId, double? Value, double? Delta, long Count, DateTimeOffset CreatedAt);

/// <summary>A row of the matrix: one version of the artifact, its cells in the order of the columns.</summary>
public sealed record EvaluationMatrixRow(Guid VersionId, string Version, IReadOnlyList<string> Aliases, IReadOnlyList<EvaluationMatrixCell?> Cells);

/// <summary>A column: one eval-set version.</summary>
public sealed record EvaluationMatrixColumn(Guid VersionId, string EvalSet, string Version, IReadOnlyList<string> Aliases);

/// <summary>Versions of an artifact × eval-set versions, for one metric.</summary>
/// <param name="Metric">The scorer shown; the first of <see cref="Metrics"/> when none was asked for.</param>
/// <param name="Metrics">Every scorer the artifact's evaluations have.</param>
public sealed record EvaluationMatrixResponse(
    string Artifact,
    string? Metric,
    IReadOnlyList<string> Metrics,
    IReadOnlyList<EvaluationMatrixColumn> Columns,
    IReadOnlyList<EvaluationMatrixRow> Rows);

/// <summary>One example whose score differs between the two evaluations.</summary>
public sealed record ExampleChange(string Id, double Before, double After, double Delta, string? OutputBefore, string? OutputAfter);

/// <summary>Per-example comparison of two evaluations on the same eval-set version, for one metric.</summary>
/// <param name="Worse">Examples whose score dropped, the largest drop first (at most <c>limit</c>).</param>
/// <param name="Better">Examples whose score rose, the largest rise first (at most <c>limit</c>).</param>
/// <param name="OnlyBefore">Examples scored only in the first evaluation.</param>
public sealed record EvaluationExampleComparison(
    Guid Before,
    Guid After,
    string Metric,
    long WorseCount,
    long BetterCount,
    long UnchangedCount,
    long OnlyBefore,
    long OnlyAfter,
    IReadOnlyList<ExampleChange> Worse,
    IReadOnlyList<ExampleChange> Better);

/// <summary>An evaluation used by an attribution, with its value of the metric.</summary>
public sealed record AttributionEvaluation(Guid Id, string Subject, string EvalSet, double Value);

/// <summary>
/// The change of a metric between two evaluations, split into the part from the subject (same eval set) and the part
/// from the data (same subject). Each part is read from the two crossed evaluations: subject part = m(s2,d1) − m(s1,d1)
/// and data part = m(s2,d2) − m(s2,d1) through the crossing (s2,d1); the other way round through (s1,d2); the mean of
/// both when both exist. Parts are null, and <see cref="Missing"/> says what to log, when neither crossing exists.
/// </summary>
/// <param name="Total">After − before.</param>
/// <param name="Missing">The evaluations that would make the split possible or exact (<c>index:v3 on golden:v0</c>).</param>
public sealed record EvaluationAttributionResponse(
    string Metric,
    AttributionEvaluation Before,
    AttributionEvaluation After,
    double Total,
    double? SubjectPart,
    double? DataPart,
    IReadOnlyList<AttributionEvaluation> Crossings,
    IReadOnlyList<string> Missing);
