using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Registry;

/// <summary>
/// The card of a registry collection. The collection itself is a <see cref="Project"/> of kind
/// <see cref="ProjectKind.Registry"/> (its slug is the collection's name, its members the collection's members) holding
/// one artifact of the same name, so versions, aliases, promotion policies, approvals, alias history, webhooks and the
/// audit trail are the project machinery, unchanged.
/// </summary>
public class RegistryCollection
{
    public Guid ProjectId { get; set; }

    public Project Project { get; set; } = null!;

    /// <summary>The collection's one artifact, named like the collection.</summary>
    public Guid ArtifactId { get; set; }

    /// <summary><c>model</c>, <c>index</c>, <c>dataset</c>, … (a lower-case word, as artifact types).</summary>
    public string Type { get; set; } = "";

    /// <summary>The model card, Markdown; rendered only through the sanitiser.</summary>
    public string Card { get; set; } = "";

    /// <summary>JSON array of the card field names that must have a value before a link or a promotion.</summary>
    public string RequiredFieldsJson { get; set; } = "[]";

    /// <summary>JSON object of card field values, e.g. <c>{"licence":"CC-BY-4.0"}</c>.</summary>
    public string FieldsJson { get; set; } = "{}";

    public DateTimeOffset UpdatedAt { get; set; }
}

public class RegistryCollectionConfiguration : IEntityTypeConfiguration<RegistryCollection>
{
    public void Configure(EntityTypeBuilder<RegistryCollection> builder)
    {
        builder.HasKey(c => c.ProjectId);
        builder.Property(c => c.Type).HasMaxLength(64).IsUnicode(false);
        builder.Property(c => c.Card).HasMaxLength(RegistryCards.MaxCardLength);
        builder.Property(c => c.RequiredFieldsJson).HasMaxLength(4000);
        builder.Property(c => c.FieldsJson).HasMaxLength(20000);
        builder.HasOne(c => c.Project).WithOne().HasForeignKey<RegistryCollection>(c => c.ProjectId).OnDelete(DeleteBehavior.Cascade);
        // The artifact goes with the project; no second cascade path (SQL Server refuses them).
        builder.HasIndex(c => c.ArtifactId).IsUnique();
        builder.HasIndex(c => c.Type);
    }
}

/// <summary>
/// The record of one link: collection version <see cref="CollectionVersionId"/> (an <c>ArtifactVersion</c> of the
/// collection's artifact) was made from project version <see cref="SourceVersionId"/>, sharing its manifest ranges.
/// Kept after an unlink (<see cref="UnlinkedAt"/>) so the history stays readable; the ids are plain values, not foreign
/// keys, so retention of a source version does not erase the record.
/// </summary>
public class RegistryLink
{
    public Guid Id { get; set; }

    public Guid CollectionProjectId { get; set; }

    public Guid CollectionVersionId { get; set; }

    public Guid SourceProjectId { get; set; }

    public Guid SourceArtifactId { get; set; }

    public Guid SourceVersionId { get; set; }

    public string? LinkedById { get; set; }

    public DateTimeOffset LinkedAt { get; set; }

    public string? Comment { get; set; }

    public string? UnlinkedById { get; set; }

    public DateTimeOffset? UnlinkedAt { get; set; }
}

public class RegistryLinkConfiguration : IEntityTypeConfiguration<RegistryLink>
{
    public void Configure(EntityTypeBuilder<RegistryLink> builder)
    {
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Comment).HasMaxLength(2000);
        builder.HasOne<Project>().WithMany().HasForeignKey(l => l.CollectionProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(l => l.CollectionVersionId).IsUnique();
        builder.HasIndex(l => new { l.CollectionProjectId, l.LinkedAt });
        builder.HasIndex(l => l.SourceVersionId);
    }
}
