using System.Formats.Tar;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>One file of a version, ready to send: its entry and its bytes.</summary>
public sealed record VersionFileDownload(RangeEntry Entry, Stream Content, bool Verified);

/// <summary>The bytes of a committed version: one file, or the whole version as a tar stream.</summary>
public sealed class VersionContent(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, IBlobStore blobs)
{
    /// <summary>Files up to this size are re-hashed before the first byte is sent, so corruption is a clean error.</summary>
    public const long VerifyBeforeSendingBytes = 64L * 1024 * 1024;

    public async Task<RangeEntry> GetEntryAsync(ClaimsPrincipal user, string slug, Guid versionId, string path, CancellationToken ct = default)
    {
        ManifestPath.Validate(path);
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, versionId, ct);
        var ranges = await VersionManifest.LoadRangesAsync(db, versionId, ct);
        return await VersionManifest.FindEntryAsync(db, ranges, path, ct)
            ?? throw PortalException.NotFound(ErrorCodes.FileNotFound, $"This version has no file {ManifestPath.Display(path)}.");
    }

    /// <summary>
    /// Opens a file for download. Whole small files are verified before sending; ranges and large files are sent
    /// as stored (a large file is verified while streaming, which aborts the response on a mismatch).
    /// </summary>
    public async Task<VersionFileDownload> OpenAsync(ClaimsPrincipal user, string slug, Guid versionId, string path, bool partial, CancellationToken ct = default)
    {
        var entry = await GetEntryAsync(user, slug, versionId, path, ct);
        if (entry.Ref is not null)
        {
            throw PortalException.Conflict(ErrorCodes.FileIsReference,
                $"{ManifestPath.Display(path)} is a reference to {entry.Ref}; its bytes are not stored in Portal.",
                new Dictionary<string, object?> { ["ref"] = entry.Ref });
        }

        if (!partial && entry.Size <= VerifyBeforeSendingBytes && !await blobs.VerifyAsync(entry.Digest, ct))
        {
            throw new PortalException(500, ErrorCodes.DigestMismatch,
                $"The stored bytes of {ManifestPath.Display(path)} no longer match their digest {entry.Digest}; the blob is corrupt or missing. An admin should restore it from backup.");
        }

        var verifyWhileStreaming = !partial && entry.Size > VerifyBeforeSendingBytes;
        var stream = await blobs.OpenReadAsync(entry.Digest, verify: verifyWhileStreaming, ct);
        return new VersionFileDownload(entry, stream, !partial);
    }

    /// <summary>Checks access and the version before a response starts, so errors are still problem details.</summary>
    public async Task<(IReadOnlyList<VersionRangeRef> Ranges, ArtifactVersion Version)> PrepareArchiveAsync(ClaimsPrincipal user, string slug, Guid versionId, CancellationToken ct = default)
    {
        var grant = await access.RequireAsync(user, slug, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await VersionFiles.RequireCommittedVersionAsync(db, grant.Project.Id, versionId, ct);
        return (await VersionManifest.LoadRangesAsync(db, versionId, ct), version);
    }

    /// <summary>
    /// Writes every stored file as a PAX tar entry (long and Unicode paths survive), a range at a time. A tar header
    /// needs the size up front, so entries stream from seekable files; files up to 64 MiB are re-hashed first (from
    /// the page cache, cheaply) and a corrupt one stops the archive. Reference entries are not stored and are left out.
    /// </summary>
    public async Task WriteArchiveAsync(IReadOnlyList<VersionRangeRef> ranges, Stream output, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await foreach (var entry in VersionManifest.ReadAllAsync(db, ranges, ct))
        {
            if (entry.Ref is not null)
                continue;
            if (entry.Size <= VerifyBeforeSendingBytes && !await blobs.VerifyAsync(entry.Digest, ct))
                throw new PortalException(500, ErrorCodes.DigestMismatch, $"The stored bytes of {ManifestPath.Display(entry.Path)} no longer match their digest.");
            await using var content = await blobs.OpenReadAsync(entry.Digest, verify: false, ct);
            var tarEntry = new PaxTarEntry(TarEntryType.RegularFile, entry.Path)
            {
                DataStream = content,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            await tar.WriteEntryAsync(tarEntry, ct);
        }
    }
}
