using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Client.Models;

/// <summary>Starts a run. Only <see cref="JobType"/> is required; the name defaults to <c>run-&lt;short id&gt;</c>.</summary>
public sealed record CreateRunRequest(
    string JobType,
    string? Name = null,
    JsonElement? Config = null,
    string? GitCommit = null,
    string? GitRemote = null,
    string? Host = null,
    DateTimeOffset? StartedAt = null);

/// <summary>
/// Changes a running run. Each top-level key given in <see cref="Config"/> or <see cref="Summary"/> replaces the
/// stored value of that key (nested objects are replaced whole, not merged); a key given as <c>null</c> is removed;
/// keys not given are kept.
/// </summary>
public sealed record UpdateRunRequest(JsonElement? Config = null, JsonElement? Summary = null);

/// <summary>Ends a run with <c>finished</c>, <c>failed</c>, <c>crashed</c> or <c>killed</c>; the summary is merged as in <see cref="UpdateRunRequest"/>.</summary>
public sealed record FinishRunRequest(string Status, JsonElement? Summary = null);

/// <summary>The user who started a run.</summary>
public sealed record RunCreatorResponse(string Id, string DisplayName, string Email);

/// <summary>
/// A run. <see cref="Config"/> is null in list responses (it can be up to 1 MB per run); read the run for it.
/// <see cref="DurationSeconds"/> runs to now while the run is running.
/// </summary>
public sealed record RunResponse(
    Guid Id,
    string Name,
    string JobType,
    string Status,
    JsonElement? Config,
    JsonElement Summary,
    string? GitCommit,
    string? GitRemote,
    string? Host,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double DurationSeconds,
    RunCreatorResponse? CreatedBy);

/// <summary>
/// One point of a metric's history. <see cref="Value"/> also reads the strings <c>"NaN"</c> and <c>"Infinity"</c>, so
/// the server can name such a point in its refusal instead of failing on the JSON.
/// </summary>
public sealed record MetricPointRequest(
    string Key,
    long Step,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    double Value,
    DateTimeOffset? Timestamp = null);

/// <summary>How many metric points were logged, and the run's summary after them.</summary>
public sealed record LogMetricsResponse(int Logged, JsonElement Summary);

/// <summary>One logged value of a metric at a step.</summary>
public sealed record MetricPointResponse(long Step, double Value, DateTimeOffset Timestamp);

/// <summary>The logged points of one metric of a run.</summary>
public sealed record MetricHistoryResponse(string Key, IReadOnlyList<MetricPointResponse> Points);

/// <summary>Records that a run used a committed version as an input.</summary>
public sealed record UseVersionRequest(Guid VersionId);

/// <summary>A version a run used or produced.</summary>
public sealed record LineageVersionResponse(Guid VersionId, string ArtifactName, string ArtifactType, int? Index, string ManifestDigest);

/// <summary>The versions a run used (inputs) and produced (outputs).</summary>
public sealed record RunLineageResponse(IReadOnlyList<LineageVersionResponse> Inputs, IReadOnlyList<LineageVersionResponse> Outputs);
