using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Project <see cref="ProjectId"/> holds blob <see cref="Digest"/>: a member uploaded its bytes into the project, or a
/// committed version of the project names it. The store keeps each blob once for everyone, but knowing a digest is not
/// owning the bytes: a project sees as present, and may commit, only the blobs it holds.
/// </summary>
/// <remarks>
/// Every digest of every committed version has a row for the version's project: a commit refuses digests the project
/// does not hold and records those it was given through <see cref="UserBlob"/> (see <see cref="BlobPossession"/>).
/// </remarks>
public class ProjectBlob
{
    public Guid ProjectId { get; set; }

    public string Digest { get; set; } = "";

    public DateTimeOffset Since { get; set; }
}

/// <summary>
/// User <see cref="UserId"/> uploaded the bytes of <see cref="Digest"/> without naming a project: they proved they
/// hold it, so the versions they create may name it in any project they contribute to.
/// </summary>
public class UserBlob
{
    public string UserId { get; set; } = "";

    public string Digest { get; set; } = "";

    public DateTimeOffset Since { get; set; }
}

public class ProjectBlobConfiguration : IEntityTypeConfiguration<ProjectBlob>
{
    public void Configure(EntityTypeBuilder<ProjectBlob> builder)
    {
        builder.HasKey(b => new { b.ProjectId, b.Digest });
        builder.Property(b => b.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        // Garbage collection removes the rows of the blobs it deletes.
        builder.HasIndex(b => b.Digest);
        builder.HasOne<Project>().WithMany().HasForeignKey(b => b.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

public class UserBlobConfiguration : IEntityTypeConfiguration<UserBlob>
{
    public void Configure(EntityTypeBuilder<UserBlob> builder)
    {
        builder.HasKey(b => new { b.UserId, b.Digest });
        builder.Property(b => b.Digest).HasMaxLength(64).IsFixedLength().IsUnicode(false);
        builder.HasIndex(b => b.Digest);
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(b => b.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Who holds which blobs: the one place the rule "present means stored, intact and held" is written.</summary>
internal static class BlobPossession
{
    /// <summary>
    /// Blobs <paramref name="digest"/>-wise present for a version of <paramref name="projectId"/> made by
    /// <paramref name="userIds"/>: stored, not known to be corrupt, and held by the project or uploaded by one of the users.
    /// </summary>
    public static IQueryable<StoredBlob> PresentFor(PortalDbContext db, Guid projectId, IReadOnlyCollection<string> userIds) =>
        db.StoredBlobs.Where(b => !b.Corrupt
            && (db.ProjectBlobs.Any(p => p.ProjectId == projectId && p.Digest == b.Digest)
                || db.UserBlobs.Any(u => userIds.Contains(u.UserId) && u.Digest == b.Digest)));

    /// <summary>
    /// Blobs present for <paramref name="userId"/> outside any one project: held by a project they can read, or
    /// uploaded by them; every stored blob for a site admin (they read every project).
    /// </summary>
    public static IQueryable<StoredBlob> PresentForUser(PortalDbContext db, string userId, bool isSiteAdmin) =>
        isSiteAdmin
            ? db.StoredBlobs.Where(b => !b.Corrupt)
            : db.StoredBlobs.Where(b => !b.Corrupt
                && (db.ProjectBlobs.Any(p => p.Digest == b.Digest && db.Memberships.Any(m => m.ProjectId == p.ProjectId && m.UserId == userId))
                    || db.UserBlobs.Any(u => u.UserId == userId && u.Digest == b.Digest)));

    /// <summary>Records that <paramref name="projectId"/> holds <paramref name="digests"/> (rows it already has are skipped).</summary>
    public static async Task HoldAsync(PortalDbContext db, Guid projectId, IReadOnlyCollection<string> digests, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var chunk in digests.Distinct(StringComparer.Ordinal).Chunk(BlobUploads.LookupChunk))
        {
            var held = await db.ProjectBlobs.AsNoTracking().Where(p => p.ProjectId == projectId && chunk.Contains(p.Digest)).Select(p => p.Digest).ToListAsync(ct);
            var fresh = chunk.Except(held, StringComparer.Ordinal).Select(d => new ProjectBlob { ProjectId = projectId, Digest = d, Since = now }).ToList();
            if (fresh.Count == 0)
                continue;
            await InsertIgnoringRacesAsync(db, fresh, ct);
        }
    }

    /// <summary>Records that <paramref name="userId"/> uploaded <paramref name="digests"/>.</summary>
    public static async Task HoldAsync(PortalDbContext db, string userId, IReadOnlyCollection<string> digests, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var chunk in digests.Distinct(StringComparer.Ordinal).Chunk(BlobUploads.LookupChunk))
        {
            var held = await db.UserBlobs.AsNoTracking().Where(u => u.UserId == userId && chunk.Contains(u.Digest)).Select(u => u.Digest).ToListAsync(ct);
            var fresh = chunk.Except(held, StringComparer.Ordinal).Select(d => new UserBlob { UserId = userId, Digest = d, Since = now }).ToList();
            if (fresh.Count == 0)
                continue;
            await InsertIgnoringRacesAsync(db, fresh, ct);
        }
    }

    /// <summary>
    /// Inserts the rows; a parallel upload of the same bytes may have recorded some of them first, in which case the
    /// rest go one by one (a row that exists is what was wanted).
    /// </summary>
    private static async Task InsertIgnoringRacesAsync<T>(PortalDbContext db, List<T> rows, CancellationToken ct) where T : class
    {
        db.AddRange(rows);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            db.ChangeTracker.Clear();
            foreach (var row in rows)
            {
                db.Add(row);
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException again) when (DatabaseErrors.IsUniqueViolation(again))
                {
                }
                db.ChangeTracker.Clear();
            }
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
