using System.Text.Json;

namespace Portal.Client.Models;

/// <summary>Names inside an evidence pack (a zip) and the one signature algorithm it uses.</summary>
public static class EvidencePackFiles
{
    public const string Format = "portal-evidence-v1";
    public const string Evidence = "evidence.json";
    public const string Audit = "audit.json";
    public const string Html = "evidence.html";
    public const string Checksums = "checksums.sha256";
    public const string Signature = "signature.json";
    public const string ManifestsFolder = "manifests/";

    /// <summary>ECDSA over NIST P-256 with SHA-256; the signature is r‖s (IEEE P1363, 64 bytes), base64.</summary>
    public const string Algorithm = "ECDSA-P256-SHA256";

    public static string Manifest(Guid versionId) => $"{ManifestsFolder}{versionId:D}.ndjson";
}

/// <summary>One evidence-signing public key (SubjectPublicKeyInfo, base64). Retired keys still verify older packs.</summary>
public sealed record EvidenceKeyResponse(string KeyId, string Algorithm, string PublicKey, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

/// <summary>Body of <c>/.well-known/portal-evidence-keys.json</c>: every key the portal has signed packs with.</summary>
public sealed record EvidenceKeysResponse(IReadOnlyList<EvidenceKeyResponse> Keys);

/// <summary>
/// <c>signature.json</c>: a detached signature over <see cref="SignedFile"/> (<c>checksums.sha256</c>), whose SHA-256
/// is <see cref="SignedDigest"/>. <see cref="PublicKey"/> is a convenience; pin the portal's key to trust a pack.
/// </summary>
public sealed record EvidenceSignature(
    string Format, string Algorithm, string KeyId, string PublicKey, string SignedFile, string SignedDigest, string Signature, DateTimeOffset SignedAt);

/// <summary>One audit record as the chain hashed it (<see cref="At"/> in <c>AuditRecordHash.TimeFormat</c>).</summary>
public sealed record EvidenceAuditRecord(
    long Sequence, Guid? ProjectId, string? ActorId, string Action, string TargetType, string TargetId,
    string? Before, string? After, string At, string PreviousHash, string Hash);

public sealed record EvidenceChainHead(long Sequence, string Hash);

/// <summary><c>audit.json</c>: the records covering the pack, oldest first, and the chain head when it was exported.</summary>
public sealed record EvidenceAuditFile(EvidenceChainHead ChainHead, IReadOnlyList<EvidenceAuditRecord> Records);

/// <summary>What the pack answers about: a version, reached directly or as "alias at time".</summary>
public sealed record EvidenceSubject(string Project, string Artifact, Guid VersionId, string Version, string ManifestDigest, string? Alias, DateTimeOffset? At);

/// <summary>A version of the upstream lineage; a redacted one carries only its id, distance and the reason.</summary>
public sealed record EvidenceVersion(
    Guid Id, int Distance, bool? Redacted = null, string? Reason = null, string? Project = null, string? Artifact = null, string? Type = null,
    string? Version = null, string? ManifestDigest = null, long? FileCount = null, long? TotalSize = null, JsonElement? Metadata = null,
    DateTimeOffset? CreatedAt = null, DateTimeOffset? CommittedAt = null, Guid? CreatedByRunId = null, string? Manifest = null);

public sealed record EvidenceRun(
    Guid Id, int Distance, bool? Redacted = null, string? Reason = null, string? Project = null, string? Name = null, string? JobType = null,
    string? Status = null, JsonElement? Config = null, string? GitCommit = null, string? GitRemote = null, string? Host = null,
    DateTimeOffset? StartedAt = null, DateTimeOffset? FinishedAt = null, string? CreatedBy = null);

/// <summary>A lineage edge: the run used (<c>used</c>) or produced (<c>produced</c>) the version.</summary>
public sealed record EvidenceEdge(Guid RunId, Guid VersionId, string Direction);

public sealed record EvidenceFinding(string Check, string Code, string Severity, string Message, string? Path, long Count);

public sealed record EvidenceValidation(
    Guid VersionId, string State, string Summary, int Errors, int Warnings, int Infos, long FilesScanned, long RowsScanned,
    DateTimeOffset? FinishedAt, IReadOnlyList<EvidenceFinding> Findings);

public sealed record EvidenceCompareReport(Guid Id, Guid FromVersionId, Guid ToVersionId, string State, string Summary, DateTimeOffset? FinishedAt);

public sealed record EvidenceApproval(string UserId, string User, string? Comment, DateTimeOffset At);

public sealed record EvidenceComment(string Author, string Kind, string Text, DateTimeOffset At);

public sealed record EvidencePromotion(
    Guid Id, Guid VersionId, string Artifact, string Alias, string Kind, string State, string RequestedBy, string Comment, bool Emergency,
    DateTimeOffset CreatedAt, DateTimeOffset? ReviewedAt, string? ReviewedBy, DateTimeOffset? AppliedAt,
    IReadOnlyList<EvidenceApproval> Approvals, IReadOnlyList<EvidenceComment> Comments);

public sealed record EvidenceAliasMove(
    string Artifact, string Alias, Guid? FromVersionId, string? FromVersion, Guid? ToVersionId, string? ToVersion, string Actor,
    DateTimeOffset At, string Reason, Guid? PromotionRequestId);

public sealed record EvidenceScore(string Scorer, long Count, double? Mean, double? Min, double? Max);

public sealed record EvidenceEvaluation(
    Guid Id, string? Name, Guid SubjectVersionId, string EvalSet, long ExampleCount, string RowsDigest, DateTimeOffset CreatedAt, IReadOnlyList<EvidenceScore> Scores);

/// <summary><c>evidence.json</c>.</summary>
public sealed record EvidenceDocument(
    string Format, DateTimeOffset ExportedAt, string ExportedBy, EvidenceSubject Subject,
    IReadOnlyList<EvidenceVersion> Versions, IReadOnlyList<EvidenceRun> Runs, IReadOnlyList<EvidenceEdge> Edges,
    IReadOnlyList<EvidenceValidation> Validations, IReadOnlyList<EvidenceCompareReport> CompareReports,
    IReadOnlyList<EvidencePromotion> Promotions, IReadOnlyList<EvidenceAliasMove> AliasHistory, IReadOnlyList<EvidenceEvaluation> Evaluations);

/// <summary>One claim an offline verification checked, e.g. <c>signature</c>, <c>audit.records</c>, <c>manifest:&lt;id&gt;</c>.</summary>
public sealed record EvidenceClaim(string Name, bool Passed, string Detail);

public sealed record EvidenceVerdict(IReadOnlyList<EvidenceClaim> Claims)
{
    public bool Passed => Claims.Count > 0 && Claims.All(c => c.Passed);
}
