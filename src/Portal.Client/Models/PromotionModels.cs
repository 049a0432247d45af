namespace Portal.Client.Models;

/// <summary>
/// The rules for moving one alias name in a project. An alias with a policy is protected: it moves only through an
/// approved promotion request.
/// </summary>
/// <param name="RequiredApprovals">Distinct approvers needed, at least 1; the requester never counts.</param>
/// <param name="ApproverRole">Lowest project role that may approve: <c>Contributor</c>, <c>Reviewer</c> (default) or <c>Admin</c>.</param>
/// <param name="RequireValidation">The version's validation must have passed.</param>
/// <param name="RequireCompareReport">A compare report against the alias's current version must exist.</param>
/// <param name="RequiredSourceAlias">The version must have been at this alias (e.g. <c>staging</c>) before.</param>
/// <param name="Evaluation">An evaluation gate: the version must have been evaluated on an eval-set version with a metric at a threshold and not much worse than the alias's current version. Null for none.</param>
public sealed record PromotionPolicyRequest(
    int RequiredApprovals = 1,
    string? ApproverRole = null,
    bool RequireValidation = false,
    bool RequireCompareReport = false,
    string? RequiredSourceAlias = null,
    EvaluationGateModel? Evaluation = null);

/// <summary>
/// "The evaluation of this version on <paramref name="EvalSet"/> has <paramref name="Metric"/> ≥ <paramref name="Threshold"/>
/// and is not worse than the alias's current version's by more than <paramref name="MaxDrop"/>."
/// </summary>
/// <param name="EvalSet">The eval set, as <c>artifact:alias</c> or <c>artifact:vN</c> (<c>golden:production</c>); read when the check runs.</param>
/// <param name="Metric">The scorer compared (<c>recall@5</c>).</param>
/// <param name="Threshold">Lowest accepted value; null for no floor.</param>
/// <param name="MaxDrop">Largest accepted drop below the current version's value (δ, in the metric's units); null to not compare.</param>
public sealed record EvaluationGateModel(string EvalSet, string Metric, double? Threshold = null, double? MaxDrop = null);

/// <summary>A protected alias and the rules a promotion to it must meet.</summary>
public sealed record PromotionPolicyResponse(
    string Alias,
    int RequiredApprovals,
    string ApproverRole,
    bool RequireValidation,
    bool RequireCompareReport,
    string? RequiredSourceAlias,
    DateTimeOffset UpdatedAt,
    EvaluationGateModel? Evaluation = null);

/// <summary>Asks to move <paramref name="Alias"/> of the artifact to <paramref name="Version"/> (<c>vN</c>, alias, id or digest).</summary>
public sealed record CreatePromotionRequest(string? Version, string? Alias, string? Comment = null);

/// <summary>
/// Proposes the alias's previous version. <paramref name="Emergency"/> (project admins) moves it at once and leaves a
/// review for a second person to do afterwards.
/// </summary>
public sealed record RollbackRequest(string? Comment = null, bool Emergency = false);

/// <summary>An approval (comment optional), a rejection (comment required), or an after-the-fact review.</summary>
public sealed record PromotionDecisionRequest(string? Comment = null);

/// <summary>A comment on a promotion request.</summary>
public sealed record PromotionCommentRequest(string? Text);

public static class PromotionStates
{
    public const string Open = "open";
    public const string Approved = "approved";
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";
}

public static class PromotionCheckStates
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Pending = "pending";
    public const string Missing = "missing";
}

/// <summary>One condition of the policy and where the request stands on it.</summary>
public sealed record PromotionCheckResponse(string Name, string State, string Summary, string? Link = null);

/// <summary>One approval of a promotion request.</summary>
public sealed record PromotionApprovalResponse(string UserId, string DisplayName, string? Comment, DateTimeOffset At);

/// <summary>One entry of the discussion: a comment, or a recorded step (<c>requested</c>, <c>approved</c>, <c>applied</c> …).</summary>
public sealed record PromotionCommentResponse(long Id, string Kind, string AuthorId, string Author, string Text, DateTimeOffset At);

/// <summary>What the calling user may do with the request now.</summary>
public sealed record PromotionActions(bool Approve, bool Reject, bool Cancel, bool Reconfirm, bool Apply, bool Review);

/// <summary>A promotion request: which version should move which alias, its approvals, checks and state.</summary>
/// <param name="FromVersion">Where the alias pointed when the request was made (or re-confirmed); null when it did not exist.</param>
/// <param name="CurrentVersion">Where the alias points now.</param>
/// <param name="Stale">The alias moved since the request was made: it must be re-confirmed before it can be approved.</param>
/// <param name="NeedsReview">An emergency change that still waits for its after-the-fact review.</param>
public sealed record PromotionResponse(
    Guid Id,
    string Project,
    string Artifact,
    string Alias,
    Guid VersionId,
    string Version,
    Guid? FromVersionId,
    string? FromVersion,
    Guid? CurrentVersionId,
    string? CurrentVersion,
    string Kind,
    string State,
    bool Stale,
    bool Emergency,
    bool NeedsReview,
    string RequestedById,
    string RequestedBy,
    string Comment,
    int RequiredApprovals,
    string ApproverRole,
    IReadOnlyList<PromotionApprovalResponse> Approvals,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? AppliedAt,
    string? ReviewedBy,
    PromotionActions Actions);

/// <summary>A request with its checks, the diff against the alias's current version, and the discussion.</summary>
public sealed record PromotionDetailResponse(
    PromotionResponse Request,
    IReadOnlyList<PromotionCheckResponse> Checks,
    VersionDiffSummary? Diff,
    IReadOnlyList<PromotionCommentResponse> Discussion);

/// <summary>How many requests wait for the user: to approve, and emergency changes to review.</summary>
public sealed record PromotionQueueCount(int Awaiting);
