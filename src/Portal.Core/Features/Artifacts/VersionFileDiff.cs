using System.Security.Claims;
using Portal.Core.Storage;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// The line diff of one file between two versions (either side may be missing: an added or removed file). Each side
/// is read from its first <see cref="FilePreview.MaxBytes"/> bytes, so a diff of two large files costs what a preview
/// does; <see cref="Truncated"/> then says the diff covers only the heads. <see cref="Message"/> explains why there
/// are no lines (binary, a reference, identical).
/// </summary>
public sealed record FileTextDiffResponse(
    string? OldPath,
    string? NewPath,
    IReadOnlyList<DiffLine> Lines,
    int Added,
    int Removed,
    bool Truncated,
    string? Message);

public sealed class VersionFileDiff(VersionContent content, IBlobStore blobs)
{
    public async Task<FileTextDiffResponse> GetAsync(
        ClaimsPrincipal user, string slug, Guid fromVersionId, string? oldPath, Guid toVersionId, string? newPath, CancellationToken ct = default)
    {
        if (oldPath is null && newPath is null)
            throw new ArgumentException("Name the file on at least one side.", nameof(oldPath));
        var oldEntry = oldPath is null ? null : await content.GetEntryAsync(user, slug, fromVersionId, oldPath, ct);
        var newEntry = newPath is null ? null : await content.GetEntryAsync(user, slug, toVersionId, newPath, ct);
        if (oldEntry?.Ref is not null || newEntry?.Ref is not null)
            return Empty(oldPath, newPath, "One side is a reference to outside storage; its bytes are not stored in Portal, so there is nothing to compare line by line.");
        if ((oldPath is not null && !FilePreview.MayBeText(oldPath)) || (newPath is not null && !FilePreview.MayBeText(newPath)))
            return Empty(oldPath, newPath, "This kind of file is not text; compare the digests and sizes above.");
        if (oldEntry is not null && newEntry is not null && oldEntry.Digest == newEntry.Digest)
            return Empty(oldPath, newPath, "The contents are identical (same digest).");

        var (oldText, oldTruncated, oldBinary) = await ReadAsync(oldEntry, ct);
        var (newText, newTruncated, newBinary) = await ReadAsync(newEntry, ct);
        if (oldBinary || newBinary)
            return Empty(oldPath, newPath, "This file looks binary; compare the digests and sizes above.");
        var lines = TextDiff.Compute(oldText, newText);
        return new FileTextDiffResponse(oldPath, newPath, lines,
            lines.Count(l => l.Op == DiffOp.Added), lines.Count(l => l.Op == DiffOp.Removed), oldTruncated || newTruncated, null);
    }

    private async Task<(string Text, bool Truncated, bool Binary)> ReadAsync(RangeEntry? entry, CancellationToken ct)
    {
        if (entry is null)
            return ("", false, false);
        var head = await FilePreview.ReadHeadAsync(blobs, entry.Digest, entry.Size, FilePreview.MaxBytes, ct);
        var truncated = entry.Size > head.Length;
        if (head.AsSpan().IndexOf((byte)0) >= 0)
            return ("", truncated, true);
        var text = FilePreview.DecodeHead(head, truncated);
        if (truncated)
        {
            // The last line was cut off: leave it out rather than show a change that is only the cut.
            var newline = text.LastIndexOf('\n');
            text = newline < 0 ? "" : text[..(newline + 1)];
        }

        return (text, truncated, false);
    }

    private static FileTextDiffResponse Empty(string? oldPath, string? newPath, string message) => new(oldPath, newPath, [], 0, 0, false, message);
}
