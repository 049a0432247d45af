using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Features.Evaluations;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Evaluations;

/// <summary>The rows format: what a client writes parses back to the same rows, and the canonical form round-trips.</summary>
public class EvaluationRowsFileTests
{
    private static readonly string[] Scorers = ["acc", "f1", "recall@5"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Gen<EvaluationExample> Example =
        Gen.Select(
            Gen.String[Gen.Char.Where(c => !char.IsControl(c) && !char.IsSurrogate(c)), 1, 40],
            Gen.Double[-1e6, 1e6].Select(Gen.Bool, (v, keep) => keep ? v : double.NaN).Array[Scorers.Length],
            Gen.Double[0, 1e5].Select(Gen.Bool, (v, keep) => keep ? (double?)v : null),
            Gen.Long[0, long.MaxValue / 4].Select(Gen.Bool, (v, keep) => keep ? (long?)v : null),
            Gen.String[Gen.Char.Where(c => !char.IsSurrogate(c)), 0, 100].Select(Gen.Bool, (v, keep) => keep ? v : null),
            (id, scores, latency, tokens, output) => new EvaluationExample(id, scores, latency, tokens, output, 0));

    private static List<EvaluationExample> Unique(EvaluationExample[] examples) =>
        examples.GroupBy(e => e.Id, StringComparer.Ordinal).Select(g => g.First()).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();

    private static void AssertSame(IReadOnlyList<EvaluationExample> expected, IReadOnlyList<EvaluationExample> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].Scores, actual[i].Scores);
            Assert.Equal(expected[i].LatencyMs, actual[i].LatencyMs);
            Assert.Equal(expected[i].Tokens, actual[i].Tokens);
            Assert.Equal(expected[i].Output, actual[i].Output);
        }
    }

    [Fact]
    public void The_canonical_form_reads_back_the_same_rows_and_equal_rows_are_equal_bytes()
    {
        SeededProperty.Check(Example.Array[0, 30], 500, examples =>
        {
            var rows = Unique(examples);
            using var first = new MemoryStream();
            var (digest, size) = EvaluationRowsFile.Write(first, rows, Scorers);
            Assert.Equal(first.Length, size);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(first.ToArray())), digest);
            first.Position = 0;
            var read = EvaluationRowsFile.ReadStoredAsync(first, Scorers, CancellationToken.None).GetAwaiter().GetResult();
            AssertSame(rows, read);
            using var second = new MemoryStream();
            Assert.Equal(digest, EvaluationRowsFile.Write(second, read, Scorers).Digest);
        });
    }

    [Fact]
    public void A_row_the_sdk_serialises_parses_to_the_same_example()
    {
        SeededProperty.Check(Example, 2_000, example =>
        {
            var scores = new Dictionary<string, double>();
            for (var i = 0; i < Scorers.Length; i++)
            {
                if (!double.IsNaN(example.Scores[i]))
                    scores[Scorers[i]] = example.Scores[i];
            }
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new EvaluationRow(example.Id, scores, example.LatencyMs, example.Tokens, example.Output), Json);
            var parsed = EvaluationRowsFile.ParseRow(new ReadOnlySequence<byte>(bytes), 7, EvaluationRowsFile.Index(Scorers));
            AssertSame([example], [parsed]);
            Assert.Equal(7, parsed.Line);
        });
    }

    [Fact]
    public void The_merge_counts_every_example_once()
    {
        var gen = Gen.Select(Gen.Int[0, 60].Array[0, 40], Gen.Int[0, 60].Array[0, 40], Gen.Int[0, 2].Array[61], Gen.Int[0, 2].Array[61]);
        SeededProperty.Check(gen, 1_000, input =>
        {
            var (beforeIds, afterIds, beforeScores, afterScores) = input;
            List<EvaluationExample> Rows(int[] ids, int[] scores) => ids.Distinct().Order()
                .Select(i => new EvaluationExample($"e{i:D2}", [scores[i] == 2 ? double.NaN : scores[i]], null, null, null, 0)).ToList();
            var before = Rows(beforeIds, beforeScores);
            var after = Rows(afterIds, afterScores);
            var result = CompareEvaluations.Merge(Guid.Empty, Guid.Empty, "acc", before, 0, after, 0, 1000);
            var scoredBefore = before.Where(r => !double.IsNaN(r.Scores[0])).Select(r => r.Id).ToHashSet();
            var scoredAfter = after.Where(r => !double.IsNaN(r.Scores[0])).Select(r => r.Id).ToHashSet();
            Assert.Equal(scoredBefore.Intersect(scoredAfter).Count(), result.WorseCount + result.BetterCount + result.UnchangedCount);
            Assert.Equal(scoredBefore.Except(scoredAfter).Count(), result.OnlyBefore);
            Assert.Equal(scoredAfter.Except(scoredBefore).Count(), result.OnlyAfter);
            Assert.All(result.Worse, c => Assert.True(c.Delta < 0));
            Assert.All(result.Better, c => Assert.True(c.Delta > 0));
            Assert.Equal(result.Worse.Select(c => c.Delta).Order(), result.Worse.Select(c => c.Delta));
        });
    }

    [Fact]
    public async Task Lines_are_read_across_buffer_boundaries_with_crlf_a_bom_and_blank_lines()
    {
        var text = new StringBuilder("\uFEFF");
        for (var i = 0; i < 5000; i++)
            text.Append(i % 7 == 0 ? "\r\n" : $"{{\"id\":\"row-{i}\",\"scores\":{{\"acc\":{i % 2}}},\"output\":\"{new string('x', i % 300)}\"}}\r\n");
        var lines = new List<(string, long)>();
        await EvaluationRowsFile.ReadLinesAsync(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())),
            (line, number) => lines.Add((EvaluationRowsFile.Text(line), number)), CancellationToken.None);
        Assert.Equal(5000 - (5000 + 6) / 7, lines.Count);
        Assert.StartsWith("{\"id\":\"row-1\"", lines[0].Item1, StringComparison.Ordinal);
        Assert.Equal(2, lines[0].Item2);
        Assert.All(lines, l => Assert.EndsWith("}", l.Item1, StringComparison.Ordinal));
        var tooLong = new MemoryStream(Encoding.UTF8.GetBytes("{\"id\":\"" + new string('y', EvaluationRowsFile.MaxLineBytes + 10)));
        var error = await Assert.ThrowsAsync<PortalException>(() => EvaluationRowsFile.ReadLinesAsync(tooLong, (_, _) => { }, CancellationToken.None));
        Assert.Equal(ErrorCodes.EvaluationMalformed, error.Code);
    }
}
