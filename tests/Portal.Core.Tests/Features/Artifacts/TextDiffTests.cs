using Portal.Core.Features.Artifacts;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>Line diffs: shortest edit scripts, hunks with context, side-by-side pairing.</summary>
public sealed class TextDiffTests
{
    [Fact]
    public void A_line_diff_keeps_unchanged_lines_and_numbers_both_sides()
    {
        var lines = TextDiff.Compute("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n");

        Assert.Equal(
            [(DiffOp.Equal, "a", 1, 1), (DiffOp.Removed, "b", 2, null), (DiffOp.Added, "B", null, 2), (DiffOp.Equal, "c", 3, 3), (DiffOp.Equal, "d", 4, 4), (DiffOp.Added, "e", null, 5)],
            lines.Select(l => (l.Op, l.Text, l.OldNumber, l.NewNumber)));
    }

    [Fact]
    public void Line_diffs_are_shortest_edit_scripts_that_rebuild_both_sides()
    {
        var random = new Random(42);
        for (var round = 0; round < 300; round++)
        {
            var a = Enumerable.Range(0, random.Next(0, 40)).Select(_ => "l" + random.Next(0, 6)).ToList();
            var b = Enumerable.Range(0, random.Next(0, 40)).Select(_ => "l" + random.Next(0, 6)).ToList();

            var lines = TextDiff.Compute(a, b);

            Assert.Equal(a, lines.Where(l => l.Op != DiffOp.Added).Select(l => l.Text));
            Assert.Equal(b, lines.Where(l => l.Op != DiffOp.Removed).Select(l => l.Text));
            // Shortest: the unchanged lines are a longest common subsequence.
            Assert.Equal(LongestCommonSubsequence(a, b), lines.Count(l => l.Op == DiffOp.Equal));
        }
    }

    [Fact]
    public void Unrelated_large_texts_past_the_edit_bound_become_one_replacement()
    {
        var a = Enumerable.Range(0, 3000).Select(i => $"old {i}").ToList();
        var b = Enumerable.Range(0, 3000).Select(i => $"new {i}").ToList();

        var lines = TextDiff.Compute(a, b);

        Assert.Equal(3000, lines.Count(l => l.Op == DiffOp.Removed));
        Assert.Equal(3000, lines.Count(l => l.Op == DiffOp.Added));
        Assert.True(lines.TakeWhile(l => l.Op == DiffOp.Removed).Count() == 3000);
    }

    [Fact]
    public void Hunks_keep_context_around_changes_and_count_the_skipped_lines()
    {
        var a = Enumerable.Range(1, 20).Select(i => $"line {i}").ToList();
        var b = a.ToList();
        b[9] = "changed";

        var hunks = TextDiff.Hunks(TextDiff.Compute(a, b), context: 2);

        var hunk = Assert.Single(hunks);
        Assert.Equal(7, hunk.Skipped);
        Assert.Equal(["line 8", "line 9", "line 10", "changed", "line 11", "line 12"], hunk.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Side_by_side_pairs_removed_with_added_lines_of_the_same_change()
    {
        var rows = TextDiff.SideBySide(TextDiff.Compute("x\nold1\nold2\ny\n", "x\nnew1\ny\n"));

        Assert.Equal(
            [("x", "x"), ("old1", "new1"), ("old2", null), ("y", "y")],
            rows.Select(r => (r.Left?.Text, r.Right?.Text)));
    }

    private static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var table = new int[a.Count + 1, b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
                table[i, j] = a[i - 1] == b[j - 1] ? table[i - 1, j - 1] + 1 : Math.Max(table[i - 1, j], table[i, j - 1]);
        }

        return table[a.Count, b.Count];
    }
}
