namespace Portal.Core.Features.Validation;

/// <summary>
/// Joins lines into CSV records: a quoted field may hold line breaks, so a line with an odd number of quotes opens a
/// record that continues until the quotes balance. Records on one line (the usual case) are passed through uncopied.
/// </summary>
public sealed class CsvRecords
{
    private byte[] _pending = [];
    private int _length;
    private long _firstLine;
    private bool _open;

    public bool Add(long lineNumber, ReadOnlySpan<byte> line, out long firstLine, out ReadOnlySpan<byte> record)
    {
        var odd = line.Count((byte)'"') % 2 == 1;
        if (!_open)
        {
            if (!odd)
            {
                firstLine = lineNumber;
                record = line;
                return true;
            }

            _open = true;
            _firstLine = lineNumber;
            _length = 0;
            Append(line);
            firstLine = 0;
            record = default;
            return false;
        }

        Append("\n"u8);
        Append(line);
        if (odd || _length >= LineReader.MaxLineBytes)
        {
            _open = false;
            firstLine = _firstLine;
            record = _pending.AsSpan(0, _length);
            return true;
        }

        firstLine = 0;
        record = default;
        return false;
    }

    /// <summary>A record still open at the end of the file (an unbalanced quote).</summary>
    public bool Pending(out long firstLine, out ReadOnlySpan<byte> record)
    {
        firstLine = _firstLine;
        record = _pending.AsSpan(0, _length);
        var open = _open;
        _open = false;
        return open;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var room = Math.Min(bytes.Length, LineReader.MaxLineBytes - _length);
        if (room <= 0)
            return;
        if (_pending.Length < _length + room)
            Array.Resize(ref _pending, Math.Max(_length + room, Math.Max(4096, _pending.Length * 2)));
        bytes[..room].CopyTo(_pending.AsSpan(_length));
        _length += room;
    }
}
