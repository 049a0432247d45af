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
    public void A_middle_past_the_bound_becomes_one_replacement_between_the_common_head_and_tail()
    {
        var half = TextDiff.MaxMiddleLines / 2 + 1;
        var a = Enumerable.Range(0, half).Select(i => $"old {i}").Prepend("same head").Append("same tail").ToList();
        var b = Enumerable.Range(0, half).Select(i => $"new {i}").Prepend("same head").Append("same tail").ToList();

        var lines = TextDiff.Compute(a, b);

        Assert.Equal((DiffOp.Equal, "same head"), (lines[0].Op, lines[0].Text));
        Assert.Equal((DiffOp.Equal, "same tail", half + 2, half + 2), (lines[^1].Op, lines[^1].Text, lines[^1].OldNumber, lines[^1].NewNumber));
        Assert.Equal(half, lines.Skip(1).TakeWhile(l => l.Op == DiffOp.Removed).Count());
        Assert.Equal(half, lines.Count(l => l.Op == DiffOp.Added));
    }

    [Fact]
    public void A_few_edits_in_a_large_text_are_found_exactly()
    {
        var a = Enumerable.Range(0, 8000).Select(i => $"line {i}").ToList();
        var b = a.ToList();
        b[10] = "first change";
        b.RemoveAt(4000);
        b.Insert(7000, "inserted");

        var lines = TextDiff.Compute(a, b);

        Assert.Equal(["line 10", "line 4000"], lines.Where(l => l.Op == DiffOp.Removed).Select(l => l.Text));
        Assert.Equal(["first change", "inserted"], lines.Where(l => l.Op == DiffOp.Added).Select(l => l.Text));
        Assert.Equal(a, lines.Where(l => l.Op != DiffOp.Added).Select(l => l.Text));
        Assert.Equal(b, lines.Where(l => l.Op != DiffOp.Removed).Select(l => l.Text));
    }

    [Fact]
    public void Lines_with_carriage_returns_or_blank_lines_keep_their_text()
    {
        var lines = TextDiff.Compute(["a", "", "b\rc", "d"], ["a", "b\rc", "", "", "d"]);

        Assert.Equal(["a", "", "b\rc", "d"], lines.Where(l => l.Op != DiffOp.Added).Select(l => l.Text));
        Assert.Equal(["a", "b\rc", "", "", "d"], lines.Where(l => l.Op != DiffOp.Removed).Select(l => l.Text));
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
