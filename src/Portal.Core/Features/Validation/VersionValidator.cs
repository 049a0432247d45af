using System.Buffers;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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

/// <summary>One check's work on one line of one file (the span is only valid during the call).</summary>
internal delegate void LineCheck(long lineNumber, ReadOnlySpan<byte> line, bool truncated);

/// <summary>
/// Runs a rule set over a version's files, streaming each readable file once: schema, personal data and secrets,
/// duplicates and emptiness per line, a data profile for drift, and bounds and licence from the manifest and metadata.
/// Memory is bounded by the line buffer, the duplicate table and the capped finding locations, not by file size.
/// </summary>
/// <remarks>
/// One file's trouble stays that file's: a file that cannot be read to its end, or a check that throws on one of its
/// lines, becomes an error finding naming the check, the file and the line, and the run goes on with the other checks
/// and files. Only cancellation ends a run early.
/// </remarks>
public sealed class VersionValidator(ValidationRules rules, Func<ValidatedFile, CancellationToken, Task<Stream>> open)
{
    public static readonly string[] TextFieldNames = ["text", "content", "prompt", "input", "question", "document", "body", "completion"];
    public static readonly string[] LabelFieldNames = ["label", "labels", "category", "class", "target", "intent", "sentiment"];

    /// <summary>Memory the duplicate-row table may take.</summary>
    public long DuplicateTableBytes { get; init; } = 64L << 20;

    public PiiScanner Pii { get; init; } = PiiScanner.Default;

    /// <summary>Where a check's failure is logged with its exception (the finding names only the exception's type).</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Checks run on every line besides the built-in ones, by check name, made once per file path.</summary>
    internal IReadOnlyList<(string Check, Func<string, LineCheck> ForFile)> ExtraChecks { get; init; } = [];

    private ValidationRules Rules => rules;

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
            var scan = new FileScan(this, file.Path, format, findings, profile, duplicates);
            var before = done;
            try
            {
                await using (var raw = await open(file, ct))
                await using (var stream = LineReader.Decode(raw, file.Path))
                {
                    await LineReader.ReadAsync(stream, scan, n =>
                    {
                        done = Math.Min(before + file.Size, done + n);
                        progress?.Invoke(done, total);
                    }, ct);
                }

                scan.Finish();
                scanned++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                scan.Unreadable(ex);
            }
            finally
            {
                scan.Release();
            }

            done = before + file.Size;
            rows += scan.Rows;
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

        CheckCaseCollisions(files, findings);

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

    /// <summary>
    /// Paths that differ only in letter case are distinct files here and on Linux, but one file on the case-insensitive
    /// file systems macOS and Windows use by default: a checkout there keeps one of them, or cannot make a folder
    /// where a file of the same name stands. Allowed, but never silently.
    /// </summary>
    private static void CheckCaseCollisions(IReadOnlyList<ValidatedFile> files, FindingCollector findings)
    {
        var byFoldedPath = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var folders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (!byFoldedPath.TryAdd(file.Path, file.Path))
            {
                findings.Add(ValidationChecks.Paths, "paths.case_duplicate", CheckSeverity.Warning, file.Path,
                    $"The path differs from '{byFoldedPath[file.Path]}' only in letter case; a checkout on macOS or Windows keeps only one of them.");
            }
            for (var slash = file.Path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = file.Path.IndexOf('/', slash + 1))
                folders.TryAdd(file.Path[..slash], file.Path);
        }
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (folders.TryGetValue(file.Path, out var inside))
            {
                findings.Add(ValidationChecks.Paths, "paths.case_conflict", CheckSeverity.Warning, file.Path,
                    $"The file has the name of the folder holding '{inside}' but for letter case; a checkout on macOS or Windows cannot hold both.");
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

    /// <summary>The per-line work for one file: each check runs guarded, so one that throws stops alone.</summary>
    private sealed class FileScan : ILineSink
    {
        private readonly ValidationRules _rules;
        private readonly ILogger _logger;
        private readonly PiiScanner _scanner;
        private readonly string _path;
        private readonly FileFormat _format;
        private readonly FindingCollector _findings;
        private readonly DataProfile _profile;
        private readonly DuplicateSet _duplicates;
        private readonly List<PiiMatch> _matches = [];
        private readonly bool _schema;
        private readonly bool _duplicateRows;
        private readonly CsvRecords _csv = new();
        private readonly List<(string Check, LineCheck? Run)> _checks = [];
        private readonly int _rowCheck = -1;
        private char[] _chars = [];
        private RowFields? _fields;
        private int _textIndex = -1;
        private int _labelIndex = -1;
        private bool _sawContent;
        private long _lastLine;

        /// <summary>The check the row work is in, named in the finding if it throws.</summary>
        private string _rowStage = ValidationChecks.Schema;

        public FileScan(VersionValidator validator, string path, FileFormat format, FindingCollector findings, DataProfile profile, DuplicateSet duplicates)
        {
            _rules = validator.Rules;
            _logger = validator.Logger;
            _scanner = validator.Pii;
            _path = path;
            _format = format;
            _findings = findings;
            _profile = profile;
            _duplicates = duplicates;
            _schema = CheckSeverity.Rank(_rules.SchemaSeverity) > 0;
            _duplicateRows = CheckSeverity.Rank(_rules.DuplicatesSeverity) > 0;
            if (CheckSeverity.Rank(_rules.PiiSeverity) > 0)
            {
                _chars = ArrayPool<char>.Shared.Rent(64 << 10);
                _checks.Add((ValidationChecks.Pii, ScanPii));
            }

            if (FileFormats.IsTabular(format))
            {
                _rowCheck = _checks.Count;
                _checks.Add((ValidationChecks.Schema, OnTabularLine));
            }

            foreach (var (check, forFile) in validator.ExtraChecks)
                _checks.Add((check, forFile(path)));
        }

        public long Rows { get; private set; }

        public void OnLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            _lastLine = lineNumber;
            if (!_sawContent && !line.Trim(" \t"u8).IsEmpty)
                _sawContent = true;
            for (var i = 0; i < _checks.Count; i++)
            {
                var (check, run) = _checks[i];
                if (run is null)
                    continue;
                try
                {
                    run(lineNumber, line, truncated);
                }
                catch (Exception ex)
                {
                    Failed(i, lineNumber, ex);
                }
            }
        }

        /// <summary>Reports a check that threw and stops it for the rest of this file.</summary>
        private void Failed(int index, long lineNumber, Exception ex)
        {
            var check = index == _rowCheck ? _rowStage : _checks[index].Check;
            _checks[index] = (_checks[index].Check, null);
            _logger.LogError(ex, "Validation check {Check} failed on {Path} at line {Line}", check, _path, lineNumber);
            _findings.Add(check, $"{check}.check_failed", CheckSeverity.Error, _path,
                $"The {check} check failed on this file and did not look at the rest of it; the other checks did. This is a fault in the validator, not a verdict on the data: the log has the details.",
                lineNumber, $"{check} check failed: {ex.GetType().Name}");
        }

        /// <summary>The file could not be opened or read to its end (missing blob, corrupt compression, storage error).</summary>
        public void Unreadable(Exception ex)
        {
            _logger.LogWarning(ex, "Validation could not read {Path} after line {Line}", _path, _lastLine);
            var reason = ex is PortalException or InvalidDataException or IOException ? $"{ex.GetType().Name}: {ex.Message}" : ex.GetType().Name;
            var where = _lastLine == 0 ? "none of it was checked" : $"lines after {_lastLine:N0} were not checked";
            _findings.Add(ValidationChecks.Files, "file.unreadable", CheckSeverity.Error, _path,
                $"The file could not be read to its end ({reason}); {where}.", _lastLine + 1, "unreadable");
        }

        private void OnTabularLine(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            if (_format == FileFormat.Jsonl)
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
            _rowStage = ValidationChecks.Schema;
            if (_fields is null)
            {
                var names = _format == FileFormat.Jsonl ? RowFields.JsonPropertyNames(row) : RowFields.CsvColumns(_format, row);
                Plan(names);
                if (_format != FileFormat.Jsonl)
                {
                    _fields!.SetHeader(row);
                    if (_schema)
                    {
                        foreach (var field in _rules.RequiredFields.Where(f => !names.Contains(f.Name)))
                            _findings.Add(ValidationChecks.Schema, "schema.missing_column", _rules.SchemaSeverity, _path, $"The header has no column '{field.Name}'.", lineNumber, $"column '{field.Name}' missing");
                    }

                    return;
                }
            }

            Rows++;
            _profile.Rows++;
            if (truncated)
            {
                _findings.Add(ValidationChecks.Schema, "schema.line_too_long", _rules.SchemaSeverity == CheckSeverity.Off ? CheckSeverity.Warning : _rules.SchemaSeverity, _path,
                    $"Rows longer than {LineReader.MaxLineBytes / (1 << 20)} MiB were not checked.", lineNumber, "row too long");
                return;
            }

            var valid = _fields!.Read(row);
            if (!valid && _format == FileFormat.Jsonl)
            {
                if (_schema)
                    _findings.Add(ValidationChecks.Schema, "schema.invalid_json", _rules.SchemaSeverity, _path, "Rows that are not one JSON object each.", lineNumber, "not a JSON object");
                return;
            }

            if (_schema)
            {
                for (var i = 0; i < _rules.RequiredFields.Count; i++)
                {
                    var field = _rules.RequiredFields[i];
                    if (_fields.Kinds[i] == FieldKind.Missing)
                    {
                        if (_format == FileFormat.Jsonl)
                            _findings.Add(ValidationChecks.Schema, $"schema.missing:{field.Name}", _rules.SchemaSeverity, _path, $"Rows without the required field '{field.Name}'.", lineNumber, $"'{field.Name}' missing");
                    }
                    else if (!_fields.Satisfies(i, row, field.Type))
                    {
                        _findings.Add(ValidationChecks.Schema, $"schema.type:{field.Name}", _rules.SchemaSeverity, _path,
                            $"Rows whose '{field.Name}' is not of type {field.Type}.", lineNumber, $"'{field.Name}' is {RowFields.KindName(_fields.Kinds[i])}");
                    }
                }
            }

            _rowStage = ValidationChecks.Drift;
            if (_textIndex >= 0 && _fields.Kinds[_textIndex] == FieldKind.String)
                _profile.AddText(_fields.Lengths[_textIndex]);
            if (_labelIndex >= 0 && _fields.Kinds[_labelIndex] is not (FieldKind.Missing or FieldKind.Null or FieldKind.Object))
                _profile.AddLabel(DataProfile.LabelOf(_fields.GetString(_labelIndex, row)));

            _rowStage = ValidationChecks.Duplicates;
            if (_duplicateRows && !_duplicates.Add(XxHash3.HashToUInt64(row.Trim(" \t"u8))))
                _findings.Add(ValidationChecks.Duplicates, "duplicates.row", _rules.DuplicatesSeverity, _path, "Rows that repeat an earlier row of the version exactly.", lineNumber, "repeats an earlier row");
        }

        private void Plan(List<string> names)
        {
            var text = _rules.TextField ?? TextFieldNames.FirstOrDefault(names.Contains);
            var label = _rules.LabelField ?? LabelFieldNames.FirstOrDefault(names.Contains);
            var wanted = _rules.RequiredFields.Select(f => f.Name).ToList();
            if (text is not null)
            {
                _textIndex = wanted.Count;
                wanted.Add(text);
                _profile.TextField ??= text;
            }

            if (label is not null)
            {
                _labelIndex = wanted.Count;
                wanted.Add(label);
                _profile.LabelField ??= label;
            }

            _fields = new RowFields(_format, wanted);
        }

        private void ScanPii(long lineNumber, ReadOnlySpan<byte> line, bool truncated)
        {
            if (_chars.Length < line.Length)
            {
                ArrayPool<char>.Shared.Return(_chars);
                _chars = ArrayPool<char>.Shared.Rent(line.Length);
            }

            var n = Encoding.UTF8.GetChars(line, _chars);
            var text = _chars.AsSpan(0, n);
            _matches.Clear();
            _scanner.Scan(text, _matches);
            if (truncated)
            {
                var severity = CheckSeverity.Rank(_rules.PiiSeverity) > CheckSeverity.Rank(CheckSeverity.Warning) ? CheckSeverity.Warning : _rules.PiiSeverity;
                _findings.Add(ValidationChecks.Pii, "pii.line_too_long", severity, _path,
                    $"Lines longer than {LineReader.MaxLineBytes / (1 << 20)} MiB were checked for personal data and secrets in their first {LineReader.MaxLineBytes / (1 << 20)} MiB only.",
                    lineNumber, "line too long");
            }

            foreach (var match in _matches)
            {
                var value = text.Slice(match.Start, match.Length);
                _findings.Add(match.Kind is PiiKind.Secret or PiiKind.PrivateKey ? ValidationChecks.Secrets : ValidationChecks.Pii, PiiScanner.Code(match.Kind), _rules.PiiSeverity, _path,
                    $"Lines holding {PiiScanner.Describe(match.Kind)}.", lineNumber, PiiScanner.Redact(match.Kind, value));
            }
        }

        /// <summary>After the last line: a CSV record left open by an unbalanced quote, and the emptiness checks.</summary>
        public void Finish()
        {
            if (_rowCheck >= 0 && _checks[_rowCheck].Run is not null && _csv.Pending(out var first, out var record))
            {
                try
                {
                    OnRow(first, record, truncated: false);
                }
                catch (Exception ex)
                {
                    Failed(_rowCheck, first, ex);
                }
            }

            if (!_sawContent && CheckSeverity.Rank(_rules.EmptyFilesSeverity) > 0)
                _findings.Add(ValidationChecks.EmptyFiles, "empty.blank", _rules.EmptyFilesSeverity, _path, "The file holds only blank lines.");
            else if (FileFormats.IsTabular(_format) && Rows == 0 && CheckSeverity.Rank(_rules.EmptyFilesSeverity) > 0)
                _findings.Add(ValidationChecks.EmptyFiles, "empty.no_rows", _rules.EmptyFilesSeverity, _path, "The file holds no rows.");
        }

        /// <summary>Returns the pooled buffer (whether the file was read to its end or not).</summary>
        public void Release()
        {
            if (_chars.Length > 0)
                ArrayPool<char>.Shared.Return(_chars);
            _chars = [];
        }
    }
}
