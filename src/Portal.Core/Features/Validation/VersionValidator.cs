using System.Buffers;
using System.IO.Hashing;
using System.Text;
using Portal.Client.Models;

namespace Portal.Core.Features.Validation;

/// <summary>A file of the version being validated, as its manifest lists it.</summary>
public sealed record ValidatedFile(string Path, string Digest, long Size, string? Ref);

public sealed record ValidationOutcome(
    IReadOnlyList<Finding> Findings,
    DataProfile Profile,
    long FilesScanned,
    long BytesScanned,
    long RowsScanned,
    IReadOnlyList<DriftRow> Drift)
{
    public bool Passed => Findings.All(f => f.Severity != CheckSeverity.Error);

    public int Count(string severity) => Findings.Count(f => f.Severity == severity);
}

/// <summary>
/// Runs a rule set over a version's files, streaming each readable file once: schema, personal data and secrets,
/// duplicates and emptiness per line, a data profile for drift, and bounds and licence from the manifest and metadata.
/// Memory is bounded by the line buffer, the duplicate table and the capped finding locations, not by file size.
/// </summary>
public sealed class VersionValidator(ValidationRules rules, Func<ValidatedFile, CancellationToken, Task<Stream>> open)
{
    public static readonly string[] TextFieldNames = ["text", "content", "prompt", "input", "question", "document", "body", "completion"];
    public static readonly string[] LabelFieldNames = ["label", "labels", "category", "class", "target", "intent", "sentiment"];

    /// <summary>Memory the duplicate-row table may take.</summary>
    public long DuplicateTableBytes { get; init; } = 64L << 20;

    public async Task<ValidationOutcome> ValidateAsync(
        IReadOnlyList<ValidatedFile> files, string metadataJson, DataProfile? previous, Action<long, long>? progress, CancellationToken ct)
    {
        var findings = new FindingCollector();
        var profile = new DataProfile { TextField = rules.TextField, LabelField = rules.LabelField };
        var duplicates = new DuplicateSet(DuplicateTableBytes);
        CheckManifest(files, metadataJson, findings);

        var readable = files.Where(f => f.Ref is null && f.Size > 0 && FileFormats.Of(f.Path) != FileFormat.Opaque).ToList();
        var total = readable.Sum(f => f.Size);
        long done = 0, rows = 0, scanned = 0;
        foreach (var file in readable)
        {
            ct.ThrowIfCancellationRequested();
            var format = FileFormats.Of(file.Path);
            var scan = new FileScan(rules, file.Path, format, findings, profile, duplicates);
            await using (var raw = await open(file, ct))
            await using (var stream = LineReader.Decode(raw, file.Path))
            {
                var before = done;
                await LineReader.ReadAsync(stream, scan, n =>
                {
                    done = Math.Min(before + file.Size, done + n);
                    progress?.Invoke(done, total);
                }, ct);
                done = before + file.Size;
            }

            scan.Finish();
            rows += scan.Rows;
            scanned++;
            progress?.Invoke(done, total);
        }

        if (duplicates.Full && CheckSeverity.Rank(rules.DuplicatesSeverity) > 0)
        {
            findings.Add(ValidationChecks.Duplicates, "duplicates.partial", CheckSeverity.Info, null,
                $"Duplicate rows were looked for among the first {duplicates.Capacity:N0} distinct rows only (the table's memory budget).");
        }

        CheckRowBounds(rows, findings);
        var drift = previous is null ? [] : Drift.Compare(previous, profile, rules);
        foreach (var row in drift.Where(d => d.Status != "stable"))
        {
            var severity = row.Status == "drift" ? rules.DriftSeverity : CheckSeverity.Warning;
            if (CheckSeverity.Rank(rules.DriftSeverity) == 0)
                continue;
            findings.Add(ValidationChecks.Drift, $"drift.{row.Metric}", CheckSeverity.Rank(severity) > CheckSeverity.Rank(rules.DriftSeverity) ? rules.DriftSeverity : severity, null,
                $"The {Drift.Describe(row.Metric)} of '{row.Field}' moved from the previous version: PSI {row.Psi:0.000} (warning at {rules.DriftWarnPsi:0.##}, failure at {rules.DriftFailPsi:0.##}).");
        }

        return new ValidationOutcome(findings.Sorted().ToList(), profile, scanned, total, rows, drift);
    }

    private void CheckManifest(IReadOnlyList<ValidatedFile> files, string metadataJson, FindingCollector findings)
    {
        if (CheckSeverity.Rank(rules.LicenseSeverity) > 0)
        {
            var (license, valid) = SpdxLicenses.FromMetadata(metadataJson);
            if (license is null)
                findings.Add(ValidationChecks.License, "license.missing", rules.LicenseSeverity, null, "The version's metadata names no licence; add \"license\": \"<SPDX id>\" (for example \"CC-BY-4.0\").");
            else if (!valid)
                findings.Add(ValidationChecks.License, "license.unknown", rules.LicenseSeverity, null, $"The licence '{license}' is not an SPDX identifier or expression (use e.g. \"Apache-2.0\", \"CC-BY-SA-4.0\", or \"LicenseRef-…\" for a custom one).");
        }

        if (CheckSeverity.Rank(rules.BoundsSeverity) > 0)
        {
            var size = files.Sum(f => f.Size);
            if (rules.MaxTotalBytes is { } maxBytes && size > maxBytes)
                findings.Add(ValidationChecks.Bounds, "bounds.total_size", rules.BoundsSeverity, null, $"The version holds {size:N0} bytes; the rules allow at most {maxBytes:N0}.");
            if (rules.MaxFiles is { } maxFiles && files.Count > maxFiles)
                findings.Add(ValidationChecks.Bounds, "bounds.files", rules.BoundsSeverity, null, $"The version holds {files.Count:N0} files; the rules allow at most {maxFiles:N0}.");
        }

        if (CheckSeverity.Rank(rules.EmptyFilesSeverity) > 0)
        {
            foreach (var file in files.Where(f => f.Size == 0))
                findings.Add(ValidationChecks.EmptyFiles, "empty.file", rules.EmptyFilesSeverity, file.Path, "The file is empty (0 bytes).");
        }

        if (CheckSeverity.Rank(rules.DuplicatesSeverity) > 0)
        {
            // Whole documents: the same bytes under several paths.
            foreach (var group in files.Where(f => f.Size > 0).GroupBy(f => f.Digest, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                var paths = group.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
                foreach (var path in paths.Skip(1))
                    findings.Add(ValidationChecks.Duplicates, "duplicates.document", rules.DuplicatesSeverity, path, $"The file has the same content as '{paths[0]}'.");
            }
        }
    }

    private void CheckRowBounds(long rows, FindingCollector findings)
    {
        if (CheckSeverity.Rank(rules.BoundsSeverity) == 0)
            return;
        if (rules.MaxRows is { } max && rows > max)
            findings.Add(ValidationChecks.Bounds, "bounds.rows", rules.BoundsSeverity, null, $"The version's CSV/JSONL files hold {rows:N0} rows; the rules allow at most {max:N0}.");
        if (rules.MinRows is { } min && rows < min)
            findings.Add(ValidationChecks.Bounds, "bounds.rows", rules.BoundsSeverity, null, $"The version's CSV/JSONL files hold {rows:N0} rows; the rules ask for at least {min:N0}.");
    }

    /// <summary>The per-line work for one file.</summary>
    private sealed class FileScan(ValidationRules rules, string path, FileFormat format, FindingCollector findings, DataProfile profile, DuplicateSet duplicates) : ILineSink
    {
        private readonly List<PiiMatch> _matches = [];
        private readonly bool _pii = CheckSeverity.Rank(rules.PiiSeverity) > 0;
        private readonly bool _schema = CheckSeverity.Rank(rules.SchemaSeverity) > 0;
        private readonly bool _duplicates = CheckSeverity.Rank(rules.DuplicatesSeverity) > 0;
        private readonly CsvRecords _csv = new();
        private char[] _chars = ArrayPool<char>.Shared.Rent(64 << 10);
        private RowFields? _fields;
        private int _textIndex = -1;
        private int _labelIndex = -1;
        private bool _sawContent;

        public long Rows { get; private set; }

        public void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            if (_pii)
                ScanPii(lineNumber, line);
            if (!_sawContent && !line.Trim(" \t"u8).IsEmpty)
                _sawContent = true;
            if (!FileFormats.IsTabular(format))
                return;
            if (format == FileFormat.Jsonl)
            {
                if (line.Trim(" \t"u8).IsEmpty)
                    return;
                OnRow(lineNumber, line, truncated);
                return;
            }

            // CSV: a quoted field may hold line breaks, so records are assembled from lines first.
            if (_csv.Add(lineNumber, line, out var first, out var record))
                OnRow(first, record, truncated);
        }

        private void OnRow(long lineNumber, ReadOnlySpan<byte> row, bool truncated)
        {
            if (_fields is null)
            {
                var names = format == FileFormat.Jsonl ? RowFields.JsonPropertyNames(row) : RowFields.CsvColumns(format, row);
                Plan(names);
                if (format != FileFormat.Jsonl)
                {
                    _fields!.SetHeader(row);
                    if (_schema)
                    {
                        foreach (var field in rules.RequiredFields.Where(f => !names.Contains(f.Name)))
                            findings.Add(ValidationChecks.Schema, "schema.missing_column", rules.SchemaSeverity, path, $"The header has no column '{field.Name}'.", lineNumber, $"column '{field.Name}' missing");
                    }

                    return;
                }
            }

            Rows++;
            profile.Rows++;
            if (truncated)
            {
                findings.Add(ValidationChecks.Schema, "schema.line_too_long", rules.SchemaSeverity == CheckSeverity.Off ? CheckSeverity.Warning : rules.SchemaSeverity, path,
                    $"Rows longer than {LineReader.MaxLineBytes / (1 << 20)} MiB were not checked.", lineNumber, "row too long");
                return;
            }

            var valid = _fields!.Read(row);
            if (!valid && format == FileFormat.Jsonl)
            {
                if (_schema)
                    findings.Add(ValidationChecks.Schema, "schema.invalid_json", rules.SchemaSeverity, path, "Rows that are not one JSON object each.", lineNumber, "not a JSON object");
                return;
            }

            if (_schema)
            {
                for (var i = 0; i < rules.RequiredFields.Count; i++)
                {
                    var field = rules.RequiredFields[i];
                    if (_fields.Kinds[i] == FieldKind.Missing)
                    {
                        if (format == FileFormat.Jsonl)
                            findings.Add(ValidationChecks.Schema, $"schema.missing:{field.Name}", rules.SchemaSeverity, path, $"Rows without the required field '{field.Name}'.", lineNumber, $"'{field.Name}' missing");
                    }
                    else if (!_fields.Satisfies(i, row, field.Type))
                    {
                        findings.Add(ValidationChecks.Schema, $"schema.type:{field.Name}", rules.SchemaSeverity, path,
                            $"Rows whose '{field.Name}' is not of type {field.Type}.", lineNumber, $"'{field.Name}' is {RowFields.KindName(_fields.Kinds[i])}");
                    }
                }
            }

            if (_textIndex >= 0 && _fields.Kinds[_textIndex] == FieldKind.String)
                profile.AddText(_fields.Lengths[_textIndex]);
            if (_labelIndex >= 0 && _fields.Kinds[_labelIndex] is not (FieldKind.Missing or FieldKind.Null or FieldKind.Object))
                profile.AddLabel(Truncate(_fields.GetString(_labelIndex, row) ?? "", 100));

            if (_duplicates && !duplicates.Add(XxHash3.HashToUInt64(row.Trim(" \t"u8))))
                findings.Add(ValidationChecks.Duplicates, "duplicates.row", rules.DuplicatesSeverity, path, "Rows that repeat an earlier row of the version exactly.", lineNumber, "repeats an earlier row");
        }

        private void Plan(List<string> names)
        {
            var text = rules.TextField ?? TextFieldNames.FirstOrDefault(names.Contains);
            var label = rules.LabelField ?? LabelFieldNames.FirstOrDefault(names.Contains);
            var wanted = rules.RequiredFields.Select(f => f.Name).ToList();
            if (text is not null)
            {
                _textIndex = wanted.Count;
                wanted.Add(text);
                profile.TextField ??= text;
            }

            if (label is not null)
            {
                _labelIndex = wanted.Count;
                wanted.Add(label);
                profile.LabelField ??= label;
            }

            _fields = new RowFields(format, wanted);
        }

        private void ScanPii(long lineNumber, ReadOnlySpan<byte> line)
        {
            if (_chars.Length < line.Length)
            {
                ArrayPool<char>.Shared.Return(_chars);
                _chars = ArrayPool<char>.Shared.Rent(line.Length);
            }

            var n = Encoding.UTF8.GetChars(line, _chars);
            var text = _chars.AsSpan(0, n);
            _matches.Clear();
            PiiScanner.Scan(text, _matches);
            foreach (var match in _matches)
            {
                var value = text.Slice(match.Start, match.Length);
                findings.Add(match.Kind is PiiKind.Secret or PiiKind.PrivateKey ? ValidationChecks.Secrets : ValidationChecks.Pii, PiiScanner.Code(match.Kind), rules.PiiSeverity, path,
                    $"Lines holding {PiiScanner.Describe(match.Kind)}.", lineNumber, PiiScanner.Redact(match.Kind, value));
            }
        }

        public void Finish()
        {
            if (_csv.Pending(out var first, out var record))
                OnRow(first, record, truncated: false);
            ArrayPool<char>.Shared.Return(_chars);
            _chars = [];
            if (!_sawContent && CheckSeverity.Rank(rules.EmptyFilesSeverity) > 0)
                findings.Add(ValidationChecks.EmptyFiles, "empty.blank", rules.EmptyFilesSeverity, path, "The file holds only blank lines.");
            else if (FileFormats.IsTabular(format) && Rows == 0 && CheckSeverity.Rank(rules.EmptyFilesSeverity) > 0)
                findings.Add(ValidationChecks.EmptyFiles, "empty.no_rows", rules.EmptyFilesSeverity, path, "The file holds no rows.");
        }

        private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
    }
}
