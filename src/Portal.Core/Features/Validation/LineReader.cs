using System.Buffers;
using System.IO.Compression;

namespace Portal.Core.Features.Validation;

/// <summary>Receives the lines of a file one at a time; the span is only valid during the call.</summary>
public interface ILineSink
{
    /// <param name="lineNumber">1-based.</param>
    /// <param name="line">The line's bytes without its line break (a trailing <c>\r</c> is removed too).</param>
    /// <param name="truncated">True when the line was longer than <see cref="LineReader.MaxLineBytes"/> and only its start is given.</param>
    void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated);
}

/// <summary>
/// Streams a file line by line through one pooled buffer, so memory stays bounded whatever the file's size: a line
/// longer than <see cref="MaxLineBytes"/> is passed on truncated and the rest of it skipped. A line ends at LF, CRLF or
/// a lone CR (old Mac files would otherwise be one line, cut at the limit); a UTF-8 byte order mark is not part of the
/// first line.
/// </summary>
public static class LineReader
{
    public const int MaxLineBytes = 8 << 20;
    private const int InitialBuffer = 1 << 20;

    /// <summary>Opens gzip-compressed files (<c>.gz</c>) transparently.</summary>
    public static Stream Decode(Stream raw, string path) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(raw, CompressionMode.Decompress) : raw;

    /// <summary>Reads every line; <paramref name="onBytes"/> is told how many (raw) bytes were consumed, for progress.</summary>
    public static async Task<long> ReadAsync(Stream stream, ILineSink sink, Action<long>? onBytes, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        var filled = 0;
        var state = new SplitState();
        var atStart = true;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxLineBytes && buffer[filled - 1] == (byte)'\r')
                    {
                        // A line just short of the limit, ended by a CR whose LF (if any) is still to come.
                        sink.OnLine(++state.LineNumber, buffer.AsSpan(0, filled - 1), truncated: false);
                        state.AfterCr = true;
                        filled = 0;
                    }
                    else if (buffer.Length >= MaxLineBytes)
                    {
                        // One line fills the largest buffer: hand over its start and drop the rest of it.
                        sink.OnLine(++state.LineNumber, buffer.AsSpan(0, filled), truncated: true);
                        state.Skipping = true;
                        filled = 0;
                    }
                    else
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
                if (read == 0)
                    break;
                onBytes?.Invoke(read);
                var end = filled + read;
                var from = 0;
                if (atStart)
                {
                    // The byte order mark may arrive split over reads: wait for three bytes (or the end).
                    if (end < 3 && Utf8Bom[..end].SequenceEqual(buffer.AsSpan(0, end)))
                    {
                        filled = end;
                        continue;
                    }

                    atStart = false;
                    if (buffer.AsSpan(0, end).StartsWith(Utf8Bom))
                        from = Utf8Bom.Length;
                }

                // Lines left over were searched already, except a CR at their end.
                var consumed = Split(buffer.AsSpan(0, end), from, Math.Max(from, filled - 1), sink, ref state);
                filled = end - consumed;
                if (consumed > 0 && filled > 0)
                    buffer.AsSpan(consumed, filled).CopyTo(buffer);
            }

            // Left over: the last line when the file does not end with a line break (or one or two bytes that only began like a BOM).
            var rest = buffer.AsSpan(0, filled);
            if (!rest.IsEmpty && !state.Skipping)
                sink.OnLine(++state.LineNumber, rest[^1] == (byte)'\r' ? rest[..^1] : rest, truncated: false);
            return state.LineNumber;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private struct SplitState
    {
        public long LineNumber;

        /// <summary>The rest of a truncated line is being dropped, up to its line break.</summary>
        public bool Skipping;

        /// <summary>The previous chunk ended in a CR: an LF right after it belongs to that line break.</summary>
        public bool AfterCr;
    }

    /// <summary>
    /// Emits the complete lines of <paramref name="data"/> from <paramref name="start"/>; returns how many bytes they
    /// used. A CR at the very end is left unconsumed until the next byte shows whether an LF follows it.
    /// </summary>
    private static int Split(ReadOnlySpan<byte> data, int start, int searchFrom, ILineSink sink, ref SplitState state)
    {
        if (state.AfterCr)
        {
            state.AfterCr = false;
            if (start < data.Length && data[start] == (byte)'\n')
            {
                start++;
                searchFrom = Math.Max(searchFrom, start);
            }
        }

        var from = searchFrom;
        while (true)
        {
            var at = data[from..].IndexOfAny((byte)'\n', (byte)'\r');
            if (at < 0)
                return start;
            var lineEnd = from + at;
            var next = lineEnd + 1;
            if (data[lineEnd] == (byte)'\r')
            {
                if (next == data.Length)
                    return start;
                if (data[next] == (byte)'\n')
                    next++;
            }

            if (state.Skipping)
                state.Skipping = false;
            else
                sink.OnLine(++state.LineNumber, data[start..lineEnd], truncated: false);
            start = next;
            from = start;
        }
    }
}
