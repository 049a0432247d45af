namespace Portal.Client;

/// <summary>Stable error codes carried in the <c>code</c> member of the API's problem details.</summary>
public static class ErrorCodes
{
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string AntiforgeryFailed = "antiforgery_failed";
    public const string NotFound = "not_found";
    public const string ValidationFailed = "validation_failed";
    public const string RequestTooLarge = "request_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string ClientClosed = "client_closed";
    public const string ProjectNotFound = "project_not_found";
    public const string ProjectSlugInvalid = "project_slug_invalid";
    public const string ProjectSlugTaken = "project_slug_taken";
    public const string ProjectNameInvalid = "project_name_invalid";
    public const string UserNotFound = "user_not_found";
    public const string RoleInvalid = "role_invalid";
    public const string MembershipNotFound = "membership_not_found";
    public const string LastAdmin = "last_admin";
    public const string TokenNameInvalid = "token_name_invalid";
    public const string TokenNotFound = "token_not_found";
    public const string InternalError = "internal_error";

    // Content addressing: blobs and manifests.
    public const string DigestInvalid = "digest_invalid";
    public const string DigestMismatch = "digest_mismatch";
    public const string BlobNotFound = "blob_not_found";
    public const string BlobTooLarge = "blob_too_large";
    public const string StorageFull = "storage_full";
    public const string PathInvalid = "path_invalid";
    public const string PathDuplicate = "path_duplicate";
    public const string PathConflict = "path_conflict";
    public const string SizeMismatch = "size_mismatch";

    // Upload sessions: a large blob sent in parts.
    public const string UploadSessionNotFound = "upload_session_not_found";
    public const string UploadSessionBusy = "upload_session_busy";
    public const string PartNumberInvalid = "part_number_invalid";
    public const string PartSizeMismatch = "part_size_mismatch";
    public const string PartDigestMismatch = "part_digest_mismatch";
    public const string PartDigestMissing = "part_digest_missing";
    public const string PartsMissing = "parts_missing";
    public const string SizeInvalid = "size_invalid";
    public const string RefInvalid = "ref_invalid";
    public const string ManifestMalformed = "manifest_malformed";
    public const string ManifestTooLarge = "manifest_too_large";
    public const string ManifestCompressionRatio = "manifest_compression_ratio";
    public const string ManifestUnsorted = "manifest_unsorted";
    public const string PatchPathMissing = "patch_path_missing";

    // Reading versions.
    public const string ContinuationInvalid = "continuation_invalid";
    public const string VersionNotFound = "version_not_found";
    public const string FileNotFound = "file_not_found";
    public const string LimitInvalid = "limit_invalid";
    public const string FileIsReference = "file_is_reference";

    // Runs, metrics and lineage.
    public const string RunNotFound = "run_not_found";
    public const string RunInvalid = "run_invalid";
    public const string RunFinished = "run_finished";
    public const string RunStatusInvalid = "run_status_invalid";
    public const string JobTypeInvalid = "job_type_invalid";
    public const string MetricInvalid = "metric_invalid";
    public const string VersionNotCommitted = "version_not_committed";
    public const string TooManyDigests = "too_many_digests";
    public const string BatchMalformed = "batch_malformed";

    // Artifacts, versions and aliases.
    public const string ArtifactNameInvalid = "artifact_name_invalid";
    public const string ArtifactTypeInvalid = "artifact_type_invalid";
    public const string ArtifactTypeMismatch = "artifact_type_mismatch";
    public const string ArtifactNotFound = "artifact_not_found";
    public const string VersionNotPending = "version_not_pending";
    public const string BaseVersionNotFound = "base_version_not_found";
    public const string BlobsMissing = "blobs_missing";
    public const string MetadataInvalid = "metadata_invalid";
    public const string AliasInvalid = "alias_invalid";
    public const string AliasReserved = "alias_reserved";
    public const string AliasNotFound = "alias_not_found";

    // Lineage graph.
    public const string LineageNodeInvalid = "lineage_node_invalid";
    public const string LineageNodeNotFound = "lineage_node_not_found";
    public const string LineageQueryInvalid = "lineage_query_invalid";
    // Promotions: protected aliases, requests and approvals.
    public const string AliasProtected = "alias_protected";
    public const string AliasNotProtected = "alias_not_protected";
    public const string PolicyNotFound = "policy_not_found";
    public const string PromotionNotFound = "promotion_not_found";
    public const string PromotionSelfApproval = "promotion_self_approval";
    public const string PromotionAlreadyApproved = "promotion_already_approved";
    public const string PromotionClosed = "promotion_closed";
    public const string PromotionStale = "promotion_stale";
    public const string PromotionChecksPending = "promotion_checks_pending";
    public const string PromotionSourceAliasMissing = "promotion_source_alias_missing";
    public const string PromotionNoChange = "promotion_no_change";
    public const string PromotionNoPreviousVersion = "promotion_no_previous_version";
    // Webhooks and the audit log.
    public const string WebhookNotFound = "webhook_not_found";
    public const string WebhookUrlInvalid = "webhook_url_invalid";
    public const string WebhookUrlNotAllowed = "webhook_url_not_allowed";
    public const string WebhookEventTypeInvalid = "webhook_event_type_invalid";
    public const string AuditFilterInvalid = "audit_filter_invalid";
    // Validation and compare reports.
    public const string ValidationRulesInvalid = "validation_rules_invalid";
    public const string CompareReportNotFound = "compare_report_not_found";
    public const string ReportFormatInvalid = "report_format_invalid";
    // Server-side ingestion: browser uploads and references hashed by a job.
    public const string IngestionNotFound = "ingestion_not_found";
    public const string IngestionNotReceiving = "ingestion_not_receiving";
    public const string IngestionEmpty = "ingestion_empty";
    public const string IngestionTooLarge = "ingestion_too_large";
    public const string IngestionFailed = "ingestion_failed";
    public const string ReferenceInvalid = "reference_invalid";
    public const string ReferenceNotAllowed = "reference_not_allowed";
    public const string ReferenceNotFound = "reference_not_found";
    public const string ReferenceFetchFailed = "reference_fetch_failed";
    public const string ReferenceTooLarge = "reference_too_large";
    public const string ZipInvalid = "zip_invalid";
    public const string ZipEntryUnsupported = "zip_entry_unsupported";
    public const string ZipTooManyEntries = "zip_too_many_entries";
    public const string ZipTooLarge = "zip_too_large";
    // OpenID Connect sign-in.
    public const string ExternalEmailMissing = "external_email_missing";
    public const string ExternalEmailUnverified = "external_email_unverified";
    // E-mail digests.
    public const string DigestSubscriptionNotFound = "digest_subscription_not_found";
    public const string DigestScheduleInvalid = "digest_schedule_invalid";
    public const string DigestSendFailed = "digest_send_failed";
    public const string DigestInProgress = "digest_in_progress";
    // Maintenance.
    public const string MaintenanceJobUnknown = "maintenance_job_unknown";
    public const string RetentionPolicyInvalid = "retention_policy_invalid";
    public const string RetentionPolicyNotFound = "retention_policy_not_found";
    // Registry: site-wide collections of linked versions.
    public const string RegistryCollectionNotFound = "registry_collection_not_found";
    public const string RegistryNameTaken = "registry_name_taken";
    public const string RegistryCardIncomplete = "registry_card_incomplete";
    public const string RegistryFieldInvalid = "registry_field_invalid";
    public const string RegistrySourceInvalid = "registry_source_invalid";
    public const string RegistryAlreadyLinked = "registry_already_linked";
    public const string RegistryVersionAliased = "registry_version_aliased";

    // Evaluations.
    public const string EvaluationNotFound = "evaluation_not_found";
    public const string EvaluationMalformed = "evaluation_malformed";
    public const string EvaluationTooLarge = "evaluation_too_large";
    public const string EvaluationsNotComparable = "evaluations_not_comparable";
    public const string MetricNotFound = "metric_not_found";

    // Automations: rules on events with actions.
    public const string AutomationNotFound = "automation_not_found";
    public const string AutomationInvalid = "automation_invalid";
    public const string AutomationUrlRefused = "automation_url_refused";
}
