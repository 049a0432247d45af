using System.Text.Json;

namespace Portal.Client.Models;

/// <summary>The kinds of record in the change feed (<c>op</c>).</summary>
public static class ChangeOps
{
    /// <summary>A row (or, with <c>level = file</c>, a non-tabular file) that the old version does not have.</summary>
    public const string Added = "added";

    /// <summary>A row whose key is in both versions with different content (or a non-tabular file with new bytes).</summary>
    public const string Changed = "changed";

    /// <summary>A row (or file) that the new version no longer has.</summary>
    public const string Removed = "removed";

    /// <summary>A non-tabular file moved to a new path with the same bytes (file level only; moved rows are unchanged).</summary>
    public const string Renamed = "renamed";

    /// <summary>A key that a second row of the same version uses too; both rows are still compared, by key and content.</summary>
    public const string DuplicateKey = "duplicate_key";

    /// <summary>A row that could not be read (not JSON, wrong number of CSV fields …), with its file and line.</summary>
    public const string Malformed = "malformed";

    /// <summary>The last record: the counts of the whole feed. A stream without it was cut off; resume from the last cursor.</summary>
    public const string End = "end";
}

/// <summary>What a record is about: one row of a tabular file, or a whole file that is not read row by row.</summary>
public static class ChangeLevels
{
    public const string Row = "row";
    public const string File = "file";
}

/// <summary>
/// One line of the change feed (<c>GET /api/v1/projects/{p}/changes</c>, NDJSON). Rows are matched across all files of
/// the two versions by <see cref="Key"/> (the key column's value) or, in files without a key column, by
/// <see cref="RowDigest"/>; a row that moved to another file with the same key and content is unchanged and has no record.
/// </summary>
/// <param name="Op">One of <see cref="ChangeOps"/>.</param>
/// <param name="Level"><see cref="ChangeLevels.Row"/> or <see cref="ChangeLevels.File"/>; null on duplicate_key, malformed and end.</param>
/// <param name="Path">The file the row is in (for removed rows: was in).</param>
/// <param name="Key">The key column's value as text (strings as themselves, other values as canonical JSON); null when the row is matched by content.</param>
/// <param name="KeyColumn">The key column's name, when there is a key.</param>
/// <param name="RowDigest">SHA-256 of the row's canonical JSON (docs/change-feed.md); the same content has the same digest in every version.</param>
/// <param name="Row">The row as canonical JSON (a CSV row as an object of header names to texts); left out with <c>rows=false</c> and on removed rows.</param>
/// <param name="Line">1-based line of the row in <see cref="Path"/> (the row number for Parquet).</param>
/// <param name="PreviousPath">For a changed row: the file it was in; for a renamed file: its old path.</param>
/// <param name="PreviousRowDigest">For a changed row: its digest in the old version.</param>
/// <param name="FileDigest">For file-level records: the file's SHA-256 (the old one for removed files).</param>
/// <param name="Side">For duplicate_key and malformed: <c>from</c> or <c>to</c>, the version the row is in.</param>
/// <param name="Message">For duplicate_key and malformed: what is wrong, in a sentence.</param>
/// <param name="Cursor">Pass as <c>continuation</c> to resume the feed after this record.</param>
/// <param name="Summary">On the end record: the counts.</param>
public sealed record ChangeRecord(
    string Op,
    string? Level = null,
    string? Path = null,
    string? Key = null,
    string? KeyColumn = null,
    string? RowDigest = null,
    JsonElement? Row = null,
    long? Line = null,
    string? PreviousPath = null,
    string? PreviousRowDigest = null,
    string? FileDigest = null,
    string? Side = null,
    string? Message = null,
    string? Cursor = null,
    ChangeFeedSummary? Summary = null);

/// <summary>
/// The counts of a change feed: rows added, changed, removed and unchanged among the files read; files by kind of
/// change; and what was read. Files the two versions share (same path, same bytes) are skipped through the manifest
/// ranges without being read; <see cref="BytesRead"/> counts the stored bytes of the files that were.
/// </summary>
public sealed record ChangeFeedSummary(
    Guid FromVersionId,
    Guid ToVersionId,
    long Added,
    long Changed,
    long Removed,
    long Unchanged,
    long DuplicateKeys,
    long Malformed,
    int FilesAdded,
    int FilesChanged,
    int FilesRemoved,
    int FilesRenamed,
    int FilesRead,
    long BytesRead,
    long FilesSkipped);
