namespace Portal.Core.Features.Artifacts;

public enum DiffOp
{
    Equal = 0,
    Removed = 1,
    Added = 2,
}

/// <summary>One line of a line diff: its text and its number on each side it appears on (1-based).</summary>
public sealed record DiffLine(DiffOp Op, string Text, int? OldNumber, int? NewNumber);

/// <summary>A row of a side-by-side view: the old line on the left, the new one on the right; either may be absent.</summary>
public sealed record SideBySideRow(DiffLine? Left, DiffLine? Right);

/// <summary>A run of changed lines with some unchanged context around it; <see cref="Skipped"/> unchanged lines come before it.</summary>
public sealed record DiffHunk(int Skipped, IReadOnlyList<DiffLine> Lines);

/// <summary>
/// Line diff by Myers' O(ND) algorithm (shortest edit script), after trimming the common head and tail. The edit
/// distance is bounded by <see cref="MaxEditDistance"/>: past it the middle is reported as removed then added, so a
/// diff of two unrelated large files costs bounded time and memory instead of quadratic.
/// </summary>
public static class TextDiff
{
    public const int MaxEditDistance = 2000;

    public static IReadOnlyList<string> SplitLines(string text)
    {
        if (text.Length == 0)
            return [];
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        // A final newline ends the last line rather than starting an empty one.
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    public static IReadOnlyList<DiffLine> Compute(string oldText, string newText) => Compute(SplitLines(oldText), SplitLines(newText));

    public static IReadOnlyList<DiffLine> Compute(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var head = 0;
        while (head < a.Count && head < b.Count && string.Equals(a[head], b[head], StringComparison.Ordinal))
            head++;
        var tail = 0;
        while (tail < a.Count - head && tail < b.Count - head && string.Equals(a[a.Count - 1 - tail], b[b.Count - 1 - tail], StringComparison.Ordinal))
            tail++;

        var result = new List<DiffLine>(Math.Max(a.Count, b.Count) + 16);
        for (var i = 0; i < head; i++)
            result.Add(new DiffLine(DiffOp.Equal, a[i], i + 1, i + 1));
        var middle = Myers(a, head, a.Count - tail, b, head, b.Count - tail);
        int oldLine = head, newLine = head;
        foreach (var op in middle)
        {
            switch (op)
            {
                case DiffOp.Equal:
                    result.Add(new DiffLine(DiffOp.Equal, a[oldLine], oldLine + 1, newLine + 1));
                    oldLine++;
                    newLine++;
                    break;
                case DiffOp.Removed:
                    result.Add(new DiffLine(DiffOp.Removed, a[oldLine], oldLine + 1, null));
                    oldLine++;
                    break;
                default:
                    result.Add(new DiffLine(DiffOp.Added, b[newLine], null, newLine + 1));
                    newLine++;
                    break;
            }
        }

        for (var i = 0; i < tail; i++)
            result.Add(new DiffLine(DiffOp.Equal, a[oldLine + i], oldLine + i + 1, newLine + i + 1));
        return result;
    }

    /// <summary>The edit script of a[aStart..aEnd) → b[bStart..bEnd), as one op per output line, removals before additions at a change.</summary>
    private static List<DiffOp> Myers(IReadOnlyList<string> a, int aStart, int aEnd, IReadOnlyList<string> b, int bStart, int bEnd)
    {
        var n = aEnd - aStart;
        var m = bEnd - bStart;
        var ops = new List<DiffOp>(n + m);
        if (n == 0 || m == 0)
        {
            ops.AddRange(Enumerable.Repeat(DiffOp.Removed, n));
            ops.AddRange(Enumerable.Repeat(DiffOp.Added, m));
            return ops;
        }

        var max = Math.Min(n + m, MaxEditDistance);
        var offset = max + 1;
        var v = new int[2 * max + 3];
        // trace[d] is v after step d, restricted to diagonals -d..d, so the whole trace is O(D²) rather than O((N+M)·D).
        var trace = new List<int[]>();
        var found = -1;
        for (var d = 0; d <= max && found < 0; d++)
        {
            for (var k = -d; k <= d; k += 2)
            {
                int x;
                if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                    x = v[offset + k + 1];
                else
                    x = v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && string.Equals(a[aStart + x], b[bStart + y], StringComparison.Ordinal))
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    found = d;
                    break;
                }
            }

            var snapshot = new int[2 * d + 1];
            Array.Copy(v, offset - d, snapshot, 0, 2 * d + 1);
            trace.Add(snapshot);
        }

        if (found < 0)
        {
            // Too different to be worth the search: everything in the middle is replaced.
            ops.AddRange(Enumerable.Repeat(DiffOp.Removed, n));
            ops.AddRange(Enumerable.Repeat(DiffOp.Added, m));
            return ops;
        }

        // Walk back from (n, m) through the snapshots, collecting ops in reverse.
        var reversed = new List<DiffOp>(n + m);
        int cx = n, cy = m;
        for (var d = found; d > 0; d--)
        {
            var previous = trace[d - 1];
            int At(int k) => previous[k + d - 1];
            var k = cx - cy;
            var down = k == -d || (k != d && At(k - 1) < At(k + 1));
            var prevK = down ? k + 1 : k - 1;
            var prevX = At(prevK);
            var prevY = prevX - prevK;
            // The snake of step d ends at (cx, cy) and starts just after the edit.
            var snakeStart = down ? prevX : prevX + 1;
            while (cx > snakeStart)
            {
                reversed.Add(DiffOp.Equal);
                cx--;
                cy--;
            }

            if (down)
            {
                reversed.Add(DiffOp.Added);
                cy--;
            }
            else
            {
                reversed.Add(DiffOp.Removed);
                cx--;
            }
        }

        while (cx > 0 && cy > 0)
        {
            reversed.Add(DiffOp.Equal);
            cx--;
            cy--;
        }

        reversed.Reverse();
        return Normalise(reversed);
    }

    /// <summary>Within each run of changes, removals come before additions, so views pair old and new lines.</summary>
    private static List<DiffOp> Normalise(List<DiffOp> ops)
    {
        var result = new List<DiffOp>(ops.Count);
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i] == DiffOp.Equal)
            {
                result.Add(DiffOp.Equal);
                i++;
                continue;
            }

            int removed = 0, added = 0;
            while (i < ops.Count && ops[i] != DiffOp.Equal)
            {
                if (ops[i] == DiffOp.Removed)
                    removed++;
                else
                    added++;
                i++;
            }

            result.AddRange(Enumerable.Repeat(DiffOp.Removed, removed));
            result.AddRange(Enumerable.Repeat(DiffOp.Added, added));
        }

        return result;
    }

    /// <summary>The changes with <paramref name="context"/> unchanged lines around each; long unchanged stretches are skipped.</summary>
    public static IReadOnlyList<DiffHunk> Hunks(IReadOnlyList<DiffLine> lines, int context = 3)
    {
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Op == DiffOp.Equal)
                continue;
            for (var j = Math.Max(0, i - context); j <= Math.Min(lines.Count - 1, i + context); j++)
                keep[j] = true;
        }

        var hunks = new List<DiffHunk>();
        var skipped = 0;
        List<DiffLine>? current = null;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!keep[i])
            {
                if (current is not null)
                {
                    hunks.Add(new DiffHunk(skipped, current));
                    current = null;
                    skipped = 0;
                }

                skipped++;
                continue;
            }

            current ??= [];
            current.Add(lines[i]);
        }

        if (current is not null)
            hunks.Add(new DiffHunk(skipped, current));
        return hunks;
    }

    /// <summary>Rows for a two-column view: unchanged lines on both sides, each removed line beside the added line at the same place in its change.</summary>
    public static IReadOnlyList<SideBySideRow> SideBySide(IReadOnlyList<DiffLine> lines)
    {
        var rows = new List<SideBySideRow>(lines.Count);
        var i = 0;
        while (i < lines.Count)
        {
            if (lines[i].Op == DiffOp.Equal)
            {
                rows.Add(new SideBySideRow(lines[i], lines[i]));
                i++;
                continue;
            }

            var removed = new List<DiffLine>();
            var added = new List<DiffLine>();
            while (i < lines.Count && lines[i].Op != DiffOp.Equal)
            {
                (lines[i].Op == DiffOp.Removed ? removed : added).Add(lines[i]);
                i++;
            }

            for (var r = 0; r < Math.Max(removed.Count, added.Count); r++)
                rows.Add(new SideBySideRow(r < removed.Count ? removed[r] : null, r < added.Count ? added[r] : null));
        }

        return rows;
    }
}
