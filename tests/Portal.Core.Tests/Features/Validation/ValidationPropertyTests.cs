using System.Text;
using CsCheck;
using Portal.Client.Models;
using Portal.Core.Features.Validation;
using Portal.TestCommon;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Features.Validation;

/// <summary>
/// No input crashes a scanner, a parser or a rule: every entry point of validation is fed random Unicode, random
/// binary and pathological lines from <see cref="HostileInput"/>, with a fixed seed (see <see cref="SeededProperty"/>)
/// and a bounded number of cases.
/// </summary>
public sealed class ValidationPropertyTests(ITestOutputHelper output)
{
    private static readonly PiiScanner[] Scanners = [PiiScanner.Default, new([]), new(["DE", "FR", "IN", "JP", "BR"])];

    [Fact]
    public void The_pii_scanner_takes_any_text_and_reports_matches_inside_it()
    {
        var matches = new List<PiiMatch>();
        SeededProperty.Check(HostileInput.Text.Select(Gen.Int[0, Scanners.Length - 1]), 3000, input =>
        {
            var (text, scanner) = input;
            matches.Clear();
            Scanners[scanner].Scan(text, matches);
            foreach (var match in matches)
            {
                Assert.True(match.Start >= 0 && match.Length > 0 && match.Start + match.Length <= text.Length, $"{match} is outside the text");
                Assert.NotNull(PiiScanner.Redact(match.Kind, text.AsSpan(match.Start, match.Length)));
            }
        }, output);
    }

    [Fact]
    public void The_pii_scanner_takes_long_runs_of_digits_dots_and_punctuation()
    {
        var matches = new List<PiiMatch>();
        SeededProperty.Check(HostileInput.LongLine, 60, line =>
        {
            matches.Clear();
            PiiScanner.Default.Scan(line, matches);
        }, output);
    }

    [Fact]
    public void Redaction_takes_any_text_of_any_kind()
    {
        SeededProperty.Check(HostileInput.Text.Select(Gen.Enum<PiiKind>()), 2000, input => Assert.NotNull(PiiScanner.Redact(input.Item2, input.Item1)), output);
    }

    [Fact]
    public void Row_fields_take_any_json_or_csv_row()
    {
        var rows = HostileInput.Mix((3, HostileInput.JsonLine), (3, HostileInput.CsvLine), (1, HostileInput.Text))
            .Select(s => Encoding.UTF8.GetBytes(s));
        var anyRow = HostileInput.Mix((4, rows), (1, Gen.Byte.Array[0, 512]));
        SeededProperty.Check(anyRow.Select(anyRow, Gen.OneOf(FileFormat.Jsonl, FileFormat.Csv, FileFormat.Tsv)), 2000, input =>
        {
            var (header, row, format) = input;
            var names = format == FileFormat.Jsonl ? RowFields.JsonPropertyNames(header) : RowFields.CsvColumns(format, header);
            var fields = new RowFields(format, [.. names.Take(3), "text", "label", "id"]);
            if (format != FileFormat.Jsonl)
                fields.SetHeader(header);
            foreach (var line in new[] { header, row })
            {
                fields.Read(line);
                for (var i = 0; i < fields.Names.Count; i++)
                {
                    fields.GetString(i, line);
                    foreach (var type in new[] { "any", "string", "number", "integer", "boolean", "object", "array" })
                        fields.Satisfies(i, line, type);
                }
            }
        }, output);
    }

    [Fact]
    public void Csv_records_take_any_lines_and_stay_bounded()
    {
        var lines = HostileInput.Mix((4, HostileInput.CsvLine), (1, HostileInput.Text)).Select(s => Encoding.UTF8.GetBytes(s)).Array[0, 40];
        SeededProperty.Check(lines, 1000, input =>
        {
            var records = new CsvRecords();
            for (var i = 0; i < input.Length; i++)
            {
                if (records.Add(i + 1, input[i], out var first, out var record))
                    Assert.InRange(first, 1, i + 1);
                Assert.True(record.Length <= LineReader.MaxLineBytes);
            }

            records.Pending(out _, out var rest);
            Assert.True(rest.Length <= LineReader.MaxLineBytes);
        }, output);
    }

    [Fact]
    public void The_line_reader_splits_any_bytes_read_in_any_chunks_at_lf_crlf_and_cr()
    {
        SeededProperty.Check(HostileInput.FileBytes.Select(Gen.Int[1, 64].Array[1, 8]), 1500, input =>
        {
            var (bytes, chunks) = input;
            var sink = new CollectingSink();
            LineReader.ReadAsync(new ChunkedStream(bytes, chunks), sink, null, CancellationToken.None).GetAwaiter().GetResult();
            Assert.Equal(ExpectedLines(bytes), sink.Lines.Select(Convert.ToHexString));
        }, output);
    }

    [Fact]
    public void The_validator_takes_any_files_under_any_rules_without_a_failed_check()
    {
        var names = Gen.OneOf("a.jsonl", "b.csv", "c.tsv", "d.txt", "e.md", "f", "g.jsonl.gz", "h.csv.gz", "i.txt.gz", "j.ndjson");
        var file = names.Select(HostileInput.FileBytes, Gen.Bool, (name, content, gzipOk) => (name, content, gzipOk));
        var rules = Gen.OneOf(CheckSeverity.All.ToArray()).Array[4].Select(Gen.Bool, Gen.OneOf<string?>(null, "text", "label", "id", "a"), (severities, required, field) => new ValidationRules
        {
            SchemaSeverity = severities[0],
            PiiSeverity = severities[1],
            DuplicatesSeverity = severities[2],
            EmptyFilesSeverity = severities[3],
            RequiredFields = required ? [new RequiredField("id", "integer"), new RequiredField("text", "string"), new RequiredField("label")] : [],
            TextField = field,
            LabelField = field,
        });
        SeededProperty.Check(file.Array[1, 4].Select(rules), 300, input =>
        {
            var (files, rule) = input;
            var stored = files.Select((f, i) => (Path: $"{i}/{f.name}", Bytes: f.name.EndsWith(".gz", StringComparison.Ordinal) && f.gzipOk ? HostileInput.Gzip(f.content) : f.content)).ToList();
            var validator = new VersionValidator(rule, (f, _) => Task.FromResult<Stream>(new MemoryStream(stored.Single(s => s.Path == f.Path).Bytes)));
            var outcome = validator.ValidateAsync(
                stored.Select(s => new ValidatedFile(s.Path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s.Bytes)), s.Bytes.Length, null)).ToList(),
                "{\"license\":\"MIT\"}", null, null, CancellationToken.None).GetAwaiter().GetResult();
            Assert.Empty(outcome.Findings.Where(f => f.Code.EndsWith(".check_failed", StringComparison.Ordinal))
                .Select(f => $"{f.Path}: {string.Join(", ", f.Locations.Select(l => $"line {l.Line} {l.Excerpt}"))}"));
            // Only a .gz file whose bytes are not gzip may be unreadable.
            Assert.All(outcome.Findings.Where(f => f.Code == "file.unreadable"), f => Assert.EndsWith(".gz", f.Path));
        }, output);
    }

    [Fact]
    public void Profiles_and_drift_take_any_texts_labels_and_stored_json()
    {
        var built = Gen.Int[-5, 1 << 30].Array[0, 30].Select(HostileInput.Text.Array[0, 30], (lengths, labels) =>
        {
            var profile = new DataProfile();
            foreach (var length in lengths)
                profile.AddText(length);
            foreach (var label in labels)
                profile.AddLabel(DataProfile.LabelOf(label));
            return profile;
        });
        var stored = HostileInput.Mix(
            (2, HostileInput.Text),
            (2, Gen.Long[-3, 1000].Array[0, 130].Select(HostileInput.Text.Array[0, 5], (buckets, labels) =>
                System.Text.Json.JsonSerializer.Serialize(new { rows = 3, textCount = buckets.Length, textLengths = buckets, labels = labels.Distinct().ToDictionary(l => l, _ => 2) }))),
            (1, Gen.OneOf("null", "{}", "{\"textLengths\":null,\"labels\":null}", "{\"labels\":{\"\\ud800\":1}}", "[]")))
            .Select(json => DataProfile.FromJson(json) ?? new DataProfile());
        var profile = HostileInput.Mix((1, built), (1, stored));
        SeededProperty.Check(profile.Select(profile), 1000, input =>
        {
            var (from, to) = input;
            foreach (var row in Drift.Compare(from, to, new ValidationRules()))
                Assert.False(double.IsNaN(row.Psi), $"PSI of {row.Metric} is NaN");
            new DataProfile().Merge(to);
            System.Text.Json.JsonSerializer.Serialize(to);
        }, output);
    }

    [Fact]
    public void Licence_metadata_and_spdx_expressions_take_any_text()
    {
        var metadata = HostileInput.Mix(
            (2, HostileInput.Text),
            (2, HostileInput.Text.Select(t => System.Text.Json.JsonSerializer.Serialize(new { license = t }))),
            (1, HostileInput.JsonLine),
            (1, Gen.OneOf("{\"license\":\"\\ud800\"}", "{\"license\":{\"a\":[1,2]}}", "[1]", "\"MIT\"", "{\"licence\":null}")));
        SeededProperty.Check(metadata, 2000, json =>
        {
            var (license, valid) = SpdxLicenses.FromMetadata(json);
            Assert.False(valid && license is null);
            SpdxLicenses.IsValidExpression(json);
        }, output);
    }

    [Fact]
    public void File_formats_take_any_path()
    {
        SeededProperty.Check(HostileInput.Text, 2000, path => FileFormats.Of(path), output);
    }

    [Fact]
    public void The_duplicate_set_takes_any_hashes_within_its_budget()
    {
        SeededProperty.Check(Gen.Long[-1, 1 << 16].Select(HostileInput.Mix((3, Gen.ULong), (1, Gen.ULong[0, 16])).Array[0, 3000]), 300, input =>
        {
            var (budget, hashes) = input;
            var set = new DuplicateSet(budget);
            foreach (var hash in hashes)
            {
                var isNew = set.Add(hash);
                if (!set.Full)
                    Assert.False(set.Add(hash) && isNew, $"{hash} was new twice");
            }

            Assert.True(set.Count <= Math.Max(set.Capacity, 1) + 1);
        }, output);
    }

    [Fact]
    public void Rule_sets_are_accepted_or_refused_with_a_problem_never_a_crash()
    {
        var severity = Gen.OneOf<string>(null!, "", "off", "info", "warning", "error", "ERROR", "loud");
        var field = Gen.OneOf<RequiredField>(null!, new RequiredField(null!), new RequiredField("id", null!), new RequiredField("\0"), new RequiredField("text", "string"), new RequiredField("x", "tuple"));
        var rules = severity.Array[7].Select(field.Array[0, 4].Select(Gen.Int[0, 4], (f, k) => k == 0 ? null! : f), Gen.Double, (s, fields, psi) => new ValidationRules
        {
            SchemaSeverity = s[0],
            PiiSeverity = s[1],
            LicenseSeverity = s[2],
            BoundsSeverity = s[3],
            DuplicatesSeverity = s[4],
            EmptyFilesSeverity = s[5],
            DriftSeverity = s[6],
            RequiredFields = fields,
            DriftWarnPsi = psi,
            DriftFailPsi = psi * 2,
        });
        SeededProperty.Check(rules, 2000, rule =>
        {
            try
            {
                ValidationRuleSets.Validate(rule);
            }
            catch (PortalException ex)
            {
                Assert.Equal(400, ex.Status);
            }
        }, output);
    }

    [Fact]
    public void Text_stored_in_a_column_is_valid_utf8_without_nul_and_within_its_length()
    {
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        SeededProperty.Check(HostileInput.Text.Select(Gen.Int[2, 400]), 3000, input =>
        {
            var (text, max) = input;
            var stored = StoredText.ForColumn(text, max);
            Assert.True(stored.Length <= max);
            Assert.DoesNotContain('\0', stored);
            strict.GetBytes(stored);
        }, output);
    }

    /// <summary>What the reader must produce: lines split at CRLF, LF and lone CR, without a leading byte order mark.</summary>
    private static IEnumerable<string> ExpectedLines(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        if (text.StartsWith("\u00EF\u00BB\u00BF", StringComparison.Ordinal))
            text = text[3..];
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n').ToList();
        if (lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return lines.Select(l => Convert.ToHexString(Encoding.Latin1.GetBytes(l)));
    }

    private sealed class CollectingSink : ILineSink
    {
        public List<byte[]> Lines { get; } = [];

        public void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            Assert.Equal(Lines.Count + 1, lineNumber);
            Assert.False(truncated);
            Lines.Add(line.ToArray());
        }
    }

    /// <summary>Hands out its bytes in the given chunk sizes, so line breaks and byte order marks fall across reads.</summary>
    private sealed class ChunkedStream(byte[] bytes, int[] chunks) : MemoryStream(bytes, writable: false)
    {
        private int _read;

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunks[_read++ % chunks.Length])]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
