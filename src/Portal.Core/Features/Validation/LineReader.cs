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
/// longer than <see cref="MaxLineBytes"/> is passed on truncated and the rest of it skipped.
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
        long lineNumber = 0;
        var skipping = false;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxLineBytes)
                    {
                        // One line fills the largest buffer: hand over its start and drop the rest of it.
                        sink.OnLine(++lineNumber, buffer.AsSpan(0, filled), truncated: true);
                        filled = 0;
                        skipping = true;
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
                var consumed = Split(buffer.AsSpan(0, end), filled, sink, ref lineNumber, ref skipping);
                filled = end - consumed;
                if (consumed > 0 && filled > 0)
                    buffer.AsSpan(consumed, filled).CopyTo(buffer);
            }

            if (filled > 0 && !skipping)
                sink.OnLine(++lineNumber, TrimCr(buffer.AsSpan(0, filled)), truncated: false);
            return lineNumber;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Emits the complete lines of <paramref name="data"/>; returns how many bytes they used.</summary>
    private static int Split(ReadOnlySpan<byte> data, int searchFrom, ILineSink sink, ref long lineNumber, ref bool skipping)
    {
        var start = 0;
        var from = searchFrom;
        while (true)
        {
            var at = data[from..].IndexOf((byte)'\n');
            if (at < 0)
                return start;
            var newline = from + at;
            if (skipping)
                skipping = false;
            else
                sink.OnLine(++lineNumber, TrimCr(data[start..newline]), truncated: false);
            start = newline + 1;
            from = start;
        }
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}
