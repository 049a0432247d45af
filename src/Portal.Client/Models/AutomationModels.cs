namespace Portal.Client.Models;

/// <summary>
/// Adds an automation rule. <see cref="Trigger"/> is <c>version.committed</c> (optionally only versions of artifacts of
/// type <see cref="ArtifactType"/>), <c>version.linked</c> (a version linked into a registry collection) or
/// <c>alias.moved</c> (optionally only the alias <see cref="Alias"/>). <see cref="Action"/> is <c>compare</c> (a compare
/// report against the previous version), <c>validate</c> (validate the version again), <c>evaluation_request</c> (POST a
/// signed JSON request to <see cref="Url"/>) or <c>email</c> (e-mail the members).
/// </summary>
public sealed record CreateAutomationRequest(
    string Name,
    string Trigger,
    string Action,
    string? ArtifactType = null,
    string? Alias = null,
    string? Url = null,
    bool Enabled = true);

/// <summary>Changes a rule; fields left null keep their value (an empty filter string removes the filter).</summary>
public sealed record UpdateAutomationRequest(string? Name = null, bool? Enabled = null, string? ArtifactType = null, string? Alias = null, string? Url = null);

/// <summary>
/// A rule. <see cref="Scope"/> is <c>project</c> or <c>collection</c>; <see cref="Url"/> is shown to admins only and the
/// signing secret never (it is in the creation answer only).
/// </summary>
public sealed record AutomationRuleResponse(
    Guid Id,
    string Scope,
    string Name,
    string Trigger,
    string? ArtifactType,
    string? Alias,
    string Action,
    string? Url,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    AutomationRunResponse? LastRun);

/// <summary>
/// The answer to adding a rule; <see cref="Secret"/> (for <c>evaluation_request</c> rules) is shown here only. Receivers
/// check it as they check webhook signatures.
/// </summary>
public sealed record CreatedAutomationResponse(AutomationRuleResponse Rule, string? Secret);

/// <summary>
/// One run of a rule for one event: <see cref="Outcome"/> is <c>pending</c>, <c>running</c>, <c>succeeded</c>,
/// <c>failed</c> or <c>skipped</c>, and <see cref="Message"/> says what was done or why not.
/// </summary>
public sealed record AutomationRunResponse(
    long Id,
    Guid RuleId,
    long EventId,
    string EventType,
    Guid? SubjectVersionId,
    string? SubjectVersion,
    string Outcome,
    string Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);
