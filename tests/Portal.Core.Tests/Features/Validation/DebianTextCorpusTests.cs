using Portal.Client.Models;
using Portal.TestCommon;
using Xunit.Abstractions;

namespace Portal.Core.Tests.Features.Validation;

/// <summary>Real documentation that ships with Debian packages goes through the real validator without a failed check.</summary>
public sealed class DebianTextCorpusTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Debian_documentation_validates_without_a_failed_check_or_an_unreadable_file()
    {
        var missing = DebianTextCorpus.MissingReason();
        Skip.If(missing is not null, missing);
        var files = DebianTextCorpus.Collect(maxFiles: 1500, maxBytes: 12L << 20);
        Assert.NotEmpty(files);

        var outcome = await DebianTextCorpus.Validator(new ValidationRules(), files)
            .ValidateAsync(files.Select(f => f.File).ToList(), "{\"license\":\"GPL-2.0-or-later\"}", null, null, CancellationToken.None);

        output.WriteLine($"{outcome.FilesScanned:N0} files, {outcome.BytesScanned:N0} bytes; findings: "
            + string.Join(", ", outcome.Findings.GroupBy(f => f.Code).Select(g => $"{g.Key}={g.Sum(f => f.Count)}")));
        Assert.Empty(outcome.Findings.Where(f => f.Code.EndsWith(".check_failed", StringComparison.Ordinal) || f.Code == "file.unreadable")
            .Select(f => $"{f.Code} {f.Path}: {f.Message}"));
        Assert.Equal(files.Count, outcome.FilesScanned);
    }
}
