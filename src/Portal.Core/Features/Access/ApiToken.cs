using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Access;

/// <summary>
/// A personal API token. Only the SHA-256 of the secret is stored; <see cref="Prefix"/> is the visible start of the
/// token so a user can tell tokens apart without the secret.
/// </summary>
public class ApiToken
{
    public Guid Id { get; set; }

    public string UserId { get; set; } = "";

    public PortalUser User { get; set; } = null!;

    public string Name { get; set; } = "";

    public string Prefix { get; set; } = "";

    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

public class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> builder)
    {
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(100);
        builder.Property(t => t.Prefix).HasMaxLength(16).IsUnicode(false);
        builder.Property(t => t.Hash).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.HasIndex(t => t.UserId);
        builder.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
