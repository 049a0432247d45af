using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Events;
using Portal.Core.Features.Home;
using Portal.Core.Features.Lineage;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Runs;
using Portal.Core.Features.Webhooks;

namespace Portal.Core.Data;

public class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options)
{
    public DbSet<Project> Projects => Set<Project>();

    public DbSet<ProjectMembership> Memberships => Set<ProjectMembership>();

    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    public DbSet<Run> Runs => Set<Run>();

    public DbSet<HomeState> HomeStates => Set<HomeState>();

    public DbSet<Pin> Pins => Set<Pin>();

    public DbSet<RunMetricPoint> RunMetricPoints => Set<RunMetricPoint>();

    public DbSet<Artifact> Artifacts => Set<Artifact>();

    public DbSet<ArtifactVersion> ArtifactVersions => Set<ArtifactVersion>();

    public DbSet<ManifestRange> ManifestRanges => Set<ManifestRange>();

    public DbSet<RangeEntry> RangeEntries => Set<RangeEntry>();

    public DbSet<BlobRange> BlobRanges => Set<BlobRange>();

    public DbSet<UnindexedRange> UnindexedRanges => Set<UnindexedRange>();

    public DbSet<VersionRange> VersionRanges => Set<VersionRange>();

    public DbSet<ArtifactAlias> Aliases => Set<ArtifactAlias>();

    public DbSet<AliasEvent> AliasEvents => Set<AliasEvent>();

    public DbSet<StoredBlob> StoredBlobs => Set<StoredBlob>();

    public DbSet<ProjectBlob> ProjectBlobs => Set<ProjectBlob>();

    public DbSet<Features.Artifacts.Packs.BlobPack> BlobPacks => Set<Features.Artifacts.Packs.BlobPack>();

    public DbSet<UserBlob> UserBlobs => Set<UserBlob>();

    public DbSet<UploadSession> UploadSessions => Set<UploadSession>();

    public DbSet<UploadPart> UploadParts => Set<UploadPart>();

    public DbSet<LineageEdge> LineageEdges => Set<LineageEdge>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<AuditChainHead> AuditChainHeads => Set<AuditChainHead>();

    public DbSet<PortalEvent> PortalEvents => Set<PortalEvent>();

    public DbSet<PromotionPolicy> PromotionPolicies => Set<PromotionPolicy>();

    public DbSet<PromotionRequest> PromotionRequests => Set<PromotionRequest>();

    public DbSet<PromotionApproval> PromotionApprovals => Set<PromotionApproval>();

    public DbSet<PromotionComment> PromotionComments => Set<PromotionComment>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<WebhookDeliveryAttempt> WebhookDeliveryAttempts => Set<WebhookDeliveryAttempt>();
    public DbSet<Features.Validation.ValidationRuleSet> ValidationRuleSets => Set<Features.Validation.ValidationRuleSet>();

    public DbSet<Features.Validation.VersionValidation> VersionValidations => Set<Features.Validation.VersionValidation>();

    public DbSet<Features.Validation.ValidationFinding> ValidationFindings => Set<Features.Validation.ValidationFinding>();

    public DbSet<Features.Compare.CompareReport> CompareReports => Set<Features.Compare.CompareReport>();

    public DbSet<Features.Ingestions.Ingestion> Ingestions => Set<Features.Ingestions.Ingestion>();

    public DbSet<Features.Ingestions.IngestionFile> IngestionFiles => Set<Features.Ingestions.IngestionFile>();
    public DbSet<Features.Reports.DigestSubscription> DigestSubscriptions => Set<Features.Reports.DigestSubscription>();

    public DbSet<Features.Reports.DigestDelivery> DigestDeliveries => Set<Features.Reports.DigestDelivery>();
    public DbSet<Features.Maintenance.MaintenanceRun> MaintenanceRuns => Set<Features.Maintenance.MaintenanceRun>();

    public DbSet<Features.Maintenance.VersionIntegrityFlag> VersionIntegrityFlags => Set<Features.Maintenance.VersionIntegrityFlag>();

    public DbSet<Features.Maintenance.RetentionPolicy> RetentionPolicies => Set<Features.Maintenance.RetentionPolicy>();

    public DbSet<Features.Registry.RegistryCollection> RegistryCollections => Set<Features.Registry.RegistryCollection>();

    public DbSet<Features.Registry.RegistryLink> RegistryLinks => Set<Features.Registry.RegistryLink>();
    public DbSet<Features.Evaluations.Evaluation> Evaluations => Set<Features.Evaluations.Evaluation>();

    public DbSet<Features.Evaluations.EvaluationScore> EvaluationScores => Set<Features.Evaluations.EvaluationScore>();

    public DbSet<Features.Evidence.EvidenceSigningKey> EvidenceSigningKeys => Set<Features.Evidence.EvidenceSigningKey>();

    public DbSet<Features.Automations.AutomationRule> AutomationRules => Set<Features.Automations.AutomationRule>();

    public DbSet<Features.Automations.AutomationRun> AutomationRuns => Set<Features.Automations.AutomationRun>();

    /// <summary>
    /// Collation of identifier columns on SQL Server, whose default collation ignores case: binary (so case- and
    /// accent-sensitive, ordered by code point as SQLite and PostgreSQL's C order do), UTF-8 for <c>varchar</c>.
    /// </summary>
    public const string CaseSensitiveCollation = "Latin1_General_100_BIN2_UTF8";

    /// <summary>Names of the portal's identifier columns: slugs, names, aliases, paths and keys.</summary>
    public static readonly IReadOnlySet<string> IdentifierColumns = new HashSet<string>(StringComparer.Ordinal)
    {
        "Slug", "Name", "AliasName", "RequiredSourceAlias", "ArtifactName", "Path", "FirstPath", "Key",
    };

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
        builder.Entity<PortalUser>().Property(u => u.DisplayName).HasMaxLength(200);

        if (Database.Provider() == DatabaseProvider.SqlServer)
        {
            // SQLite and PostgreSQL compare text by code point; SQL Server's default collation would make 'Corpus'
            // and 'corpus' one artifact. The portal's own identifiers get a binary collation (ASP.NET Identity's
            // tables compare normalised values and keep the default).
            foreach (var entity in builder.Model.GetEntityTypes())
            {
                if (entity.ClrType.Namespace?.StartsWith("Portal.Core.Features", StringComparison.Ordinal) != true)
                    continue;
                foreach (var property in entity.GetDeclaredProperties())
                {
                    if (property.ClrType == typeof(string) && IdentifierColumns.Contains(property.Name))
                        property.SetCollation(CaseSensitiveCollation);
                }
            }
        }

        if (Database.Provider() == DatabaseProvider.Sqlite)
        {
            // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks so ORDER BY and range filters
            // run in the database.
            foreach (var entity in builder.Model.GetEntityTypes())
            {
                foreach (var property in entity.GetProperties())
                {
                    if (property.ClrType == typeof(DateTimeOffset))
                        property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
                    else if (property.ClrType == typeof(DateTimeOffset?))
                        property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
                }
            }
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var pending = ChangeTracker.Entries<AuditEvent>()
            .Where(e => e.State == EntityState.Added)
            .Select(e => e.Entity)
            .ToList();
        if (pending.Count == 0)
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);

        var ownTransaction = Database.CurrentTransaction is null
            ? await Database.BeginTransactionAsync(cancellationToken)
            : null;
        try
        {
            // Touching the head row first takes its write lock, so concurrent writers append one after another.
            await AuditChainHeads.Where(h => h.Id == 1)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.Sequence, h => h.Sequence), cancellationToken);
            var head = await AuditChainHeads.AsNoTracking().SingleAsync(h => h.Id == 1, cancellationToken);
            var sequence = head.Sequence;
            var hash = head.Hash;
            foreach (var e in pending.OrderBy(e => e.At))
            {
                e.Sequence = ++sequence;
                e.PreviousHash = hash;
                e.Hash = AuditChain.ComputeHash(hash, e);
                hash = e.Hash;
            }

            var result = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            await AuditChainHeads.Where(h => h.Id == 1)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.Sequence, sequence).SetProperty(h => h.Hash, hash), cancellationToken);
            if (ownTransaction is not null)
                await ownTransaction.CommitAsync(cancellationToken);
            return result;
        }
        catch
        {
            // Hashes assigned in a failed attempt must not survive into a retry.
            foreach (var e in pending)
            {
                e.Sequence = 0;
                e.Hash = "";
            }

            throw;
        }
        finally
        {
            if (ownTransaction is not null)
                await ownTransaction.DisposeAsync();
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        SaveChangesAsync(acceptAllChangesOnSuccess).GetAwaiter().GetResult();
}
