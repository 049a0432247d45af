using DiffPlex;
using DiffPlex.Chunkers;

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
/// Line diffs: DiffPlex (Myers' O(ND) shortest edit script) on what lies between the common head and tail. Its cost
/// grows with (N+M)·D, so a middle of more than <see cref="MaxMiddleLines"/> lines (two unrelated 256 KB files of
/// short lines would take minutes) is reported as removed then added: bounded time for any input.
/// </summary>
public static class TextDiff
{
    /// <summary>Old plus new lines between the common head and tail that DiffPlex is given (about half a second at worst).</summary>
    public const int MaxMiddleLines = 20_000;

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

        int oldLine = head, newLine = head;
        void Equal(int count)
        {
            for (var i = 0; i < count; i++, oldLine++, newLine++)
                result.Add(new DiffLine(DiffOp.Equal, a[oldLine], oldLine + 1, newLine + 1));
        }

        void Change(int removed, int added)
        {
            // Removals before additions, so views pair each old line with the new one at its place.
            for (var i = 0; i < removed; i++, oldLine++)
                result.Add(new DiffLine(DiffOp.Removed, a[oldLine], oldLine + 1, null));
            for (var i = 0; i < added; i++, newLine++)
                result.Add(new DiffLine(DiffOp.Added, b[newLine], null, newLine + 1));
        }

        int oldMiddle = a.Count - tail - head, newMiddle = b.Count - tail - head;
        if (oldMiddle == 0 || newMiddle == 0 || oldMiddle + newMiddle > MaxMiddleLines)
        {
            Change(oldMiddle, newMiddle);
        }
        else
        {
            // Lines hold no '\n' (they were split on it), so joining and splitting on it gives DiffPlex these lines exactly.
            var blocks = Differ.Instance.CreateDiffs(
                string.Join('\n', a.Skip(head).Take(oldMiddle)), string.Join('\n', b.Skip(head).Take(newMiddle)),
                ignoreWhiteSpace: false, ignoreCase: false, Lines).DiffBlocks;
            foreach (var block in blocks)
            {
                Equal(head + block.DeleteStartA - oldLine);
                Change(block.DeleteCountA, block.InsertCountB);
            }

            Equal(a.Count - tail - oldLine);
        }

        Equal(tail);
        return result;
    }

    private static readonly CustomFunctionChunker Lines = new(text => text.Split('\n'));

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
