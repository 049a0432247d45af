using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Validation;
using Portal.TestCommon;

namespace Portal.Benchmarks;

/// <summary>
/// The validator over the documentation Debian ships (<see cref="DebianTextCorpus"/>), personal-data and secret checks
/// only. The corpus is clean in the sense that matters here: phone numbers, cards, IBANs, SSNs and secrets found in it
/// are almost all false positives, so the counts by kind measure precision on ordinary text; e-mail addresses are mostly
/// real (maintainers' addresses in copyright files and changelogs). <c>PORTAL_BENCH_CORPUS_MIB</c> caps the bytes read;
/// <c>PORTAL_BENCH_CORPUS_SAMPLES</c> (default 5) lines per kind other than e-mail are printed on stderr for review.
/// </summary>
public static class PiiCorpusScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        if (DebianTextCorpus.MissingReason() is { } missing)
        {
            Console.Error.WriteLine($"pii-corpus skipped: {missing}");
            return;
        }

        var mib = long.TryParse(Environment.GetEnvironmentVariable("PORTAL_BENCH_CORPUS_MIB"), out var m) ? m : 1L << 20;
        var samples = int.TryParse(Environment.GetEnvironmentVariable("PORTAL_BENCH_CORPUS_SAMPLES"), out var s) ? s : 5;
        var files = DebianTextCorpus.Collect(int.MaxValue, mib << 20);
        var decoded = files.Sum(f => Decode(f).LongLength);
        var rules = new ValidationRules
        {
            PiiSeverity = CheckSeverity.Warning,
            SchemaSeverity = CheckSeverity.Off,
            LicenseSeverity = CheckSeverity.Off,
            BoundsSeverity = CheckSeverity.Off,
            DuplicatesSeverity = CheckSeverity.Off,
            EmptyFilesSeverity = CheckSeverity.Off,
            DriftSeverity = CheckSeverity.Off,
        };
        var validator = DebianTextCorpus.Validator(rules, files);

        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var outcome = await validator.ValidateAsync(files.Select(f => f.File).ToList(), "{}", null, null, CancellationToken.None);
        var seconds = watch.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

        BenchContext.Report("pii-corpus", "files", outcome.FilesScanned, "files");
        BenchContext.Report("pii-corpus", "stored_bytes", outcome.BytesScanned, "B");
        BenchContext.Report("pii-corpus", "text_bytes", decoded, "B");
        foreach (var kind in Enum.GetValues<PiiKind>())
        {
            var code = PiiScanner.Code(kind);
            BenchContext.Report("pii-corpus", $"findings.{code}", outcome.Findings.Where(f => f.Code == code).Sum(f => f.Count), "occurrences");
        }

        BenchContext.Report("pii-corpus", "files_with_non_email_findings", outcome.Findings.Where(f => f.Code.StartsWith("pii.", StringComparison.Ordinal) && f.Code != "pii.email" || f.Code.StartsWith("secret.", StringComparison.Ordinal)).Select(f => f.Path).Distinct().Count(), "files");
        BenchContext.Report("pii-corpus", "failed_checks", outcome.Findings.Count(f => f.Code.EndsWith(".check_failed", StringComparison.Ordinal) || f.Code == "file.unreadable"), "findings");
        BenchContext.Report("pii-corpus", "seconds", seconds, "s");
        BenchContext.Report("pii-corpus", "cpu_seconds", cpu, "s");
        // Text bytes after decompression: the scanner's work; decompression is included in the time.
        BenchContext.Report("pii-corpus", "throughput", decoded / 1e6 / seconds, "MB/s");
        BenchContext.Report("pii-corpus", "throughput_per_cpu_second", decoded / 1e6 / cpu, "MB/s");
        PrintSamples(files, outcome, samples);
    }

    private static byte[] Decode(CorpusFile file)
    {
        using var raw = File.OpenRead(file.FullPath);
        using var stream = LineReader.Decode(raw, file.File.Path);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The raw lines behind the first findings of each kind other than e-mail, so a person can judge them.</summary>
    private static void PrintSamples(List<CorpusFile> files, ValidationOutcome outcome, int perKind)
    {
        var byPath = files.ToDictionary(f => f.File.Path, StringComparer.Ordinal);
        foreach (var group in outcome.Findings.Where(f => f.Code != "pii.email" && (f.Check == ValidationChecks.Pii || f.Check == ValidationChecks.Secrets)).GroupBy(f => f.Code))
        {
            foreach (var (finding, location) in group.SelectMany(f => f.Locations.Select(l => (f, l))).Take(perKind))
            {
                var lines = Encoding.UTF8.GetString(Decode(byPath[finding.Path!])).ReplaceLineEndings("\n").Split('\n');
                var line = location.Line <= lines.Length ? lines[location.Line - 1].Trim() : "?";
                Console.Error.WriteLine($"{group.Key} {finding.Path}:{location.Line}: {(line.Length > 160 ? line[..160] + "…" : line)}");
            }
        }
    }
}
