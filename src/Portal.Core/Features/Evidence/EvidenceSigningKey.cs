using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Core.Features.Evidence;

/// <summary>
/// A key the portal signs evidence packs with (ECDSA P-256). The private key is stored protected by ASP.NET Data
/// Protection; a rotated key is retired, never deleted, so packs signed with it still verify.
/// </summary>
public class EvidenceSigningKey
{
    /// <summary>First 16 hex digits of SHA-256 over <see cref="PublicKey"/>.</summary>
    public string Id { get; set; } = "";

    public string Algorithm { get; set; } = "";

    /// <summary>SubjectPublicKeyInfo, base64.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>PKCS#8 private key, protected by Data Protection, base64.</summary>
    public string ProtectedPrivateKey { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RetiredAt { get; set; }
}

public class EvidenceSigningKeyConfiguration : IEntityTypeConfiguration<EvidenceSigningKey>
{
    public void Configure(EntityTypeBuilder<EvidenceSigningKey> builder)
    {
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(16).IsUnicode(false);
        builder.Property(k => k.Algorithm).HasMaxLength(32).IsUnicode(false);
        builder.Property(k => k.PublicKey).HasMaxLength(512).IsUnicode(false);
        builder.Property(k => k.ProtectedPrivateKey).HasMaxLength(4000).IsUnicode(false);
    }
}
