using System.Security.Cryptography;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Validation;

namespace Portal.Core.Tests.Features.Validation;

public sealed class VersionValidatorTests
{
    private static readonly ValidationRules Rules = new() { LicenseSeverity = CheckSeverity.Off };

    private static async Task<ValidationOutcome> ValidateAsync(VersionValidator validator, params (string Path, byte[] Bytes)[] files) =>
        await validator.ValidateAsync(files.Select(f => new ValidatedFile(f.Path, Digest(f.Bytes), f.Bytes.Length, null)).ToList(), "{}", null, null, CancellationToken.None);

    private static VersionValidator Validator(ValidationRules rules, params (string Path, byte[] Bytes)[] files) =>
        new(rules, (f, _) => Task.FromResult<Stream>(new MemoryStream(files.Single(x => x.Path == f.Path).Bytes)));

    private static string Digest(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Paths_that_differ_only_in_letter_case_are_allowed_with_a_warning()
    {
        (string, byte[])[] files =
        [
            ("README.md", Utf8("one")), ("readme.md", Utf8("two")), ("Data", Utf8("a file")), ("data/train.csv", Utf8("x\n1\n")), ("docs/a.txt", Utf8("a")),
        ];
        var outcome = await ValidateAsync(Validator(Rules, files), files);

        var duplicate = Assert.Single(outcome.Findings, f => f.Code == "paths.case_duplicate");
        Assert.Equal((CheckSeverity.Warning, "readme.md"), (duplicate.Severity, duplicate.Path));
        Assert.Contains("'README.md'", duplicate.Message, StringComparison.Ordinal);
        var conflict = Assert.Single(outcome.Findings, f => f.Code == "paths.case_conflict");
        Assert.Equal("Data", conflict.Path);
        Assert.True(outcome.Passed);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_is_an_error_finding_and_the_other_files_are_still_validated()
    {
        (string, byte[])[] files =
        [
            ("a.txt", Utf8("write to jane.doe@example.com\n")),
            ("notes.txt.gz", Utf8("plain text that is not gzip\nmail bob@example.org\n")),
            ("z.jsonl", Utf8("{\"text\":\"call 020 7946 0958\"}\n")),
        ];
        var outcome = await ValidateAsync(Validator(Rules, files), files);

        var unreadable = Assert.Single(outcome.Findings, f => f.Code == "file.unreadable");
        Assert.Equal((CheckSeverity.Error, "notes.txt.gz", ValidationChecks.Files), (unreadable.Severity, unreadable.Path, unreadable.Check));
        Assert.Contains("InvalidDataException", unreadable.Message, StringComparison.Ordinal);
        Assert.Equal(1, Assert.Single(unreadable.Locations).Line);
        Assert.Contains(outcome.Findings, f => f.Code == "pii.email" && f.Path == "a.txt");
        Assert.Contains(outcome.Findings, f => f.Code == "pii.phone" && f.Path == "z.jsonl");
        Assert.False(outcome.Passed);
        Assert.Equal(2, outcome.FilesScanned);
    }

    [Fact]
    public async Task A_read_that_fails_mid_file_names_the_line_it_reached()
    {
        var lines = Utf8("one\ntwo jane.doe@example.com\nthree\n");
        var validator = new VersionValidator(Rules, (f, _) => Task.FromResult<Stream>(f.Path == "broken.txt" ? new FailingAfter(lines, failAt: 12) : new MemoryStream(lines)));
        var outcome = await ValidateAsync(validator, ("broken.txt", lines), ("fine.txt", lines));

        var unreadable = Assert.Single(outcome.Findings, f => f.Code == "file.unreadable");
        Assert.Equal("broken.txt", unreadable.Path);
        Assert.Equal(2, Assert.Single(unreadable.Locations).Line);
        Assert.Contains("lines after 1 were not checked", unreadable.Message, StringComparison.Ordinal);
        Assert.Contains(outcome.Findings, f => f.Code == "pii.email" && f.Path == "fine.txt");
    }

    [Fact]
    public async Task A_check_that_throws_is_an_error_finding_naming_check_file_and_line_and_the_other_checks_go_on()
    {
        (string, byte[])[] files =
        [
            ("a.txt", Utf8("one\ntwo\nthree jane.doe@example.com\n")),
            ("b.txt", Utf8("one\ntwo\nthree jane.doe@example.com\n")),
        ];
        var validator = new VersionValidator(Rules, (f, _) => Task.FromResult<Stream>(new MemoryStream(files.Single(x => x.Item1 == f.Path).Item2)))
        {
            ExtraChecks = [("toxicity", path => (line, _, _) =>
            {
                if (path == "a.txt" && line == 2)
                    throw new InvalidOperationException("the classifier fell over");
            })],
        };
        var outcome = await ValidateAsync(validator, files);

        var failed = Assert.Single(outcome.Findings, f => f.Code == "toxicity.check_failed");
        Assert.Equal(("toxicity", CheckSeverity.Error, "a.txt"), (failed.Check, failed.Severity, failed.Path));
        var location = Assert.Single(failed.Locations);
        Assert.Equal(2, location.Line);
        Assert.Contains("InvalidOperationException", location.Excerpt, StringComparison.Ordinal);
        // The personal-data check went on past line 2 of the same file, and over the other file.
        Assert.Contains(outcome.Findings, f => f.Code == "pii.email" && f.Path == "a.txt" && f.Locations.Single().Line == 3);
        Assert.Contains(outcome.Findings, f => f.Code == "pii.email" && f.Path == "b.txt");
        Assert.Equal(2, outcome.FilesScanned);
    }

    [Fact]
    public async Task Json_rows_the_reader_cannot_transcode_are_read_without_a_failed_check()
    {
        // Invalid UTF-8 in the first row's property name, a lone surrogate escape in a label.
        var bytes = new List<byte>();
        bytes.AddRange(Utf8("{\""));
        bytes.Add(0xFF);
        bytes.AddRange(Utf8("\":1,\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"\\ud800\"}\n{\"text\":\"c\",\"label\":\"\\ud83d\\ude00 ok\"}\n"));
        (string, byte[])[] files = [("rows.jsonl", bytes.ToArray())];
        var outcome = await ValidateAsync(Validator(Rules, files), files);

        Assert.DoesNotContain(outcome.Findings, f => f.Code.EndsWith(".check_failed", StringComparison.Ordinal));
        Assert.Equal(3, outcome.RowsScanned);
        Assert.Equal(3, outcome.Profile.Labels.Values.Sum());
    }

    [Fact]
    public async Task Lines_end_at_a_lone_cr_and_a_byte_order_mark_is_not_part_of_the_first_row()
    {
        (string, byte[])[] files =
        [
            ("mac.txt", Utf8("first\rsecond jane.doe@example.com\rthird")),
            ("bom.jsonl", [0xEF, 0xBB, 0xBF, .. Utf8("{\"text\":\"a\"}\r\n{\"text\":\"b\"}\r\n")]),
        ];
        var outcome = await ValidateAsync(Validator(Rules with { RequiredFields = [new RequiredField("text", "string")] }, files), files);

        Assert.Equal(2, Assert.Single(outcome.Findings, f => f.Code == "pii.email").Locations.Single().Line);
        Assert.DoesNotContain(outcome.Findings, f => f.Check == ValidationChecks.Schema);
        Assert.Equal(2, outcome.RowsScanned);
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_scanned_in_its_first_part_and_said_so()
    {
        var line = "key jane.doe@example.com " + new string('x', LineReader.MaxLineBytes + 1000) + "\nnext bob@example.org\n";
        (string, byte[])[] files = [("one-line.txt", Utf8(line))];
        var outcome = await ValidateAsync(Validator(Rules, files), files);

        Assert.Contains(outcome.Findings, f => f.Code == "pii.line_too_long" && f.Severity == CheckSeverity.Warning && f.Locations.Single().Line == 1);
        Assert.Equal([1L, 2L], outcome.Findings.Single(f => f.Code == "pii.email").Locations.Select(l => l.Line));
    }

    /// <summary>A stored blob whose read fails part-way, as a storage error would.</summary>
    private sealed class FailingAfter(byte[] bytes, int failAt) : MemoryStream(bytes, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (Position >= failAt)
                throw new IOException("The storage connection was reset.");
            return base.ReadAsync(buffer[..Math.Min(buffer.Length, failAt - (int)Position)], ct);
        }
    }
}
