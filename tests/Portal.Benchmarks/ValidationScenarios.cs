using System.Diagnostics;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Compare;
using Portal.Core.Features.Validation;

namespace Portal.Benchmarks;

public static class ValidationScenarios
{
    private static readonly string[] Words = ["data", "model", "portal", "version", "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "answer", "question", "context", "policy"];

    /// <summary>
    /// Validation of a 1 GiB JSONL file (every detector on, duplicate table included) read from disk. Targets: at
    /// least 100 MB/s, peak memory under 200 MB (the process's peak working set, which includes the runtime).
    /// <c>PORTAL_BENCH_VALIDATE_MIB</c> changes the size.
    /// </summary>
    public static async Task Validate1GiBAsync(BenchContext context)
    {
        var mib = int.TryParse(Environment.GetEnvironmentVariable("PORTAL_BENCH_VALIDATE_MIB"), out var m) ? m : 1024;
        var folder = Path.Combine(Path.GetTempPath(), "portal-bench-validation");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "data.jsonl");
        try
        {
            var rows = await WriteJsonlAsync(path, (long)mib << 20, seed: 1, changeEvery: 0);
            var size = new FileInfo(path).Length;
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var hostBaseline = ResetPeakResident();
            var validator = new VersionValidator(new ValidationRules(), (_, _) => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)));
            var watch = Stopwatch.StartNew();
            var outcome = await validator.ValidateAsync([new ValidatedFile("data.jsonl", new string('0', 64), size, null)], "{\"license\":\"MIT\"}", null, null, CancellationToken.None);
            var seconds = watch.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            BenchContext.Report("validate-1g", "bytes", size, "B");
            // On a shared, oversubscribed machine wall time measures the neighbours; CPU time measures the work.
            BenchContext.Report("validate-1g", "cpu_seconds", cpu, "s");
            BenchContext.Report("validate-1g", "throughput_per_cpu_second", size / 1e6 / cpu, "MB/s");
            BenchContext.Report("validate-1g", "load_average", LoadAverage(), "");
            BenchContext.Report("validate-1g", "rows", outcome.RowsScanned, "rows");
            BenchContext.Report("validate-1g", "throughput", size / 1e6 / seconds, "MB/s");
            // The benchmark hosts the whole portal in this process: report its resident memory before, and the peak while validating.
            BenchContext.Report("validate-1g", "resident_before", hostBaseline / 1e6, "MB");
            BenchContext.Report("validate-1g", "peak_resident_during", PeakResident() / 1e6, "MB");
            BenchContext.Report("validate-1g", "findings", outcome.Findings.Sum(f => f.Count), "occurrences");
            Console.Error.WriteLine($"{rows:N0} rows written; findings: {string.Join(", ", outcome.Findings.Select(f => $"{f.Code}={f.Count}"))}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Compare report rows of two 1,000,000-row JSONL files (1 % of rows changed, keyed by id). Target: under 30 s.</summary>
    public static async Task Compare1MAsync(BenchContext context)
    {
        var folder = Path.Combine(Path.GetTempPath(), "portal-bench-validation");
        Directory.CreateDirectory(folder);
        var oldPath = Path.Combine(folder, "old.jsonl");
        var newPath = Path.Combine(folder, "new.jsonl");
        try
        {
            await WriteRowsAsync(oldPath, 1_000_000, changeEvery: 0);
            await WriteRowsAsync(newPath, 1_000_000, changeEvery: 100);
            var engine = new RowDiffEngine(_ => Open(oldPath), _ => Open(newPath), "rows.jsonl", "rows.jsonl");
            using var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var (diff, _) = await engine.RunAsync(null, CancellationToken.None);
            var drift = Drift.Compare(engine.OldProfile, engine.NewProfile, new ValidationRules());
            var seconds = watch.Elapsed.TotalSeconds;
            using var process = Process.GetCurrentProcess();
            BenchContext.Report("compare-1m", "seconds", seconds, "s");
            BenchContext.Report("compare-1m", "cpu_seconds", (process.TotalProcessorTime - cpuBefore).TotalSeconds, "s");
            BenchContext.Report("compare-1m", "load_average", LoadAverage(), "");
            BenchContext.Report("compare-1m", "modified_rows", diff.Modified, "rows");
            BenchContext.Report("compare-1m", "peak_resident", PeakResident() / 1e6, "MB");
            Console.Error.WriteLine($"key {diff.KeyColumn}: +{diff.Added} -{diff.Removed} ~{diff.Modified} ={diff.Unchanged}; drift {string.Join(", ", drift.Select(d => $"{d.Metric} {d.Psi:0.0000}"))}");
        }
        finally
        {
            File.Delete(oldPath);
            File.Delete(newPath);
        }
    }

    /// <summary>Resets the kernel's peak-resident mark for this process (Linux) and returns the current resident size.</summary>
    private static long ResetPeakResident()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
            // Not Linux, or not allowed: the peak then covers the whole process lifetime.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return StatusKb("VmRSS") * 1024;
    }

    private static long PeakResident() => StatusKb("VmHWM") * 1024;

    private static long StatusKb(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double LoadAverage() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static Task<Stream> Open(string path) =>
        Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));

    private static async Task WriteRowsAsync(string path, int rows, int changeEvery)
    {
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var random = new Random(7);
        for (var i = 0; i < rows; i++)
        {
            var text = Sentence(random, 8 + random.Next(20));
            if (changeEvery > 0 && i % changeEvery == 0)
                text += " (revised)";
            await writer.WriteAsync($"{{\"id\":{i},\"text\":\"{text}\",\"label\":\"class-{random.Next(5)}\",\"score\":{random.NextDouble():0.0000}}}\n");
        }
    }

    /// <summary>Realistic rows: prose, numbers, dates, and one row in a thousand holding an e-mail address or a phone number.</summary>
    private static async Task<long> WriteJsonlAsync(string path, long bytes, int seed, int changeEvery)
    {
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20);
        var random = new Random(seed);
        long rows = 0;
        while (stream.Length + (1 << 20) < bytes)
        {
            for (var k = 0; k < 1000; k++)
            {
                var text = Sentence(random, 20 + random.Next(40));
                if (rows % 1000 == 17)
                    text += " contact jane.doe" + rows + "@example.com";
                else if (rows % 1000 == 523)
                    text += " call +1 415 555 " + (1000 + rows % 9000);
                await writer.WriteAsync($"{{\"id\":{rows},\"text\":\"{text}\",\"label\":\"class-{random.Next(5)}\",\"created\":\"2026-11-{1 + random.Next(28):00}T12:{random.Next(60):00}:00Z\",\"score\":{random.NextDouble():0.0000}}}\n");
                rows++;
            }

            await writer.FlushAsync();
        }

        return rows;
    }

    private static string Sentence(Random random, int words)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
                sb.Append(' ');
            sb.Append(Words[random.Next(Words.Length)]);
            if (random.Next(12) == 0)
                sb.Append(' ').Append(random.Next(10000));
        }

        return sb.ToString();
    }
}
