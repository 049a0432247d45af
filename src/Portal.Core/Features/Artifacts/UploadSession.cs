using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// One large blob on its way up in parts (<see cref="BlobUploadSessions"/>): the client declared its digest and size,
/// the server chose the part size, and the store keeps the parts received so far under <see cref="StoreHandle"/>.
/// The blob exists only after completing, when the whole hashed to <see cref="Digest"/>.
/// </summary>
public class UploadSession
{
    public Guid Id { get; set; }

    public string Digest { get; set; } = "";

    public long Size { get; set; }

    /// <summary>Bytes of every part but the last (which holds the rest).</summary>
    public long PartSize { get; set; }

    public string UserId { get; set; } = "";

    /// <summary>The project the blob is for (it holds the blob once stored), or null for the uploader's own.</summary>
    public Guid? ProjectId { get; set; }

    /// <summary>What the store named the parts by (<see cref="Storage.IPartUploadStore.StartPartsAsync"/>).</summary>
    public string StoreHandle { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Moved on by every part received; after it the session and its parts are removed by maintenance.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set while one request puts the parts together, so that a second completion waits its turn.</summary>
    public DateTimeOffset? CompletingSince { get; set; }

    public List<UploadPart> Parts { get; set; } = [];

    public int PartCount => PartCountFor(Size, PartSize);

    public static int PartCountFor(long size, long partSize) => (int)((size + partSize - 1) / partSize);

    /// <summary>Bytes part <paramref name="number"/> (from 1) must hold.</summary>
    public long PartLength(int number) => number < PartCount ? PartSize : Size - (PartCount - 1) * PartSize;
}

/// <summary>A part the server received and verified against the SHA-256 the client sent with it.</summary>
public class UploadPart
{
    public Guid SessionId { get; set; }

    public int Number { get; set; }

    public long Size { get; set; }

    public string Sha256 { get; set; } = "";

    /// <summary>What the store returned for the part (S3's ETag), needed to put the parts together.</summary>
    public string? Tag { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}

public class UploadSessionConfiguration : IEntityTypeConfiguration<UploadSession>
{
    public void Configure(EntityTypeBuilder<UploadSession> builder)
    {
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(s => s.StoreHandle).HasMaxLength(400).IsUnicode(false);
        builder.Ignore(s => s.PartCount);
        // Resuming finds the caller's open session for the same blob.
        builder.HasIndex(s => new { s.UserId, s.Digest });
        builder.HasIndex(s => s.ExpiresAt);
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(s => s.Parts).WithOne().HasForeignKey(p => p.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}

public class UploadPartConfiguration : IEntityTypeConfiguration<UploadPart>
{
    public void Configure(EntityTypeBuilder<UploadPart> builder)
    {
        builder.HasKey(p => new { p.SessionId, p.Number });
        builder.Property(p => p.Sha256).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.Property(p => p.Tag).HasMaxLength(200).IsUnicode(false);
    }
}
