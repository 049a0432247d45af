using System.Buffers;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Core.Features.Changes;

/// <summary>
/// Writes the feed as NDJSON (one <see cref="ChangeRecord"/> per line, camelCase, nulls left out), the row bodies as
/// their canonical JSON bytes without re-encoding; flushed every 64 KiB so a consumer starts on the first records
/// while the rest are computed.
/// </summary>
public static class ChangeFeedWriter
{
    private const int FlushBytes = 64 << 10;

    public static async Task<long> WriteAsync(IAsyncEnumerable<ChangeEvent> changes, Stream output, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes * 2);
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        long count = 0;
        await foreach (var change in changes.WithCancellation(ct))
        {
            Write(json, change);
            json.Flush();
            json.Reset(buffer);
            buffer.Write("\n"u8);
            count++;
            if (buffer.WrittenCount >= FlushBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct);
                await output.FlushAsync(ct);
                buffer.ResetWrittenCount();
            }
        }

        await output.WriteAsync(buffer.WrittenMemory, ct);
        await output.FlushAsync(ct);
        return count;
    }

    private static void Write(Utf8JsonWriter json, ChangeEvent change)
    {
        var r = change.Record;
        json.WriteStartObject();
        json.WriteString("op", r.Op);
        Optional(json, "level", r.Level);
        Optional(json, "path", r.Path);
        Optional(json, "key", r.Key);
        Optional(json, "keyColumn", r.KeyColumn);
        Optional(json, "rowDigest", r.RowDigest);
        if (change.Row is not null)
        {
            json.WritePropertyName("row");
            json.WriteRawValue(change.Row, skipInputValidation: true);
        }

        if (r.Line is { } line)
            json.WriteNumber("line", line);
        Optional(json, "previousPath", r.PreviousPath);
        Optional(json, "previousRowDigest", r.PreviousRowDigest);
        Optional(json, "fileDigest", r.FileDigest);
        Optional(json, "side", r.Side);
        Optional(json, "message", r.Message);
        Optional(json, "cursor", r.Cursor);
        if (r.Summary is { } s)
        {
            json.WriteStartObject("summary");
            json.WriteString("fromVersionId", s.FromVersionId);
            json.WriteString("toVersionId", s.ToVersionId);
            json.WriteNumber("added", s.Added);
            json.WriteNumber("changed", s.Changed);
            json.WriteNumber("removed", s.Removed);
            json.WriteNumber("unchanged", s.Unchanged);
            json.WriteNumber("duplicateKeys", s.DuplicateKeys);
            json.WriteNumber("malformed", s.Malformed);
            json.WriteNumber("filesAdded", s.FilesAdded);
            json.WriteNumber("filesChanged", s.FilesChanged);
            json.WriteNumber("filesRemoved", s.FilesRemoved);
            json.WriteNumber("filesRenamed", s.FilesRenamed);
            json.WriteNumber("filesRead", s.FilesRead);
            json.WriteNumber("bytesRead", s.BytesRead);
            json.WriteNumber("filesSkipped", s.FilesSkipped);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
            json.WriteString(name, value);
    }
}
