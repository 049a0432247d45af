using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using Portal.Client.Models;

namespace Portal.Core.Features.Evidence;

/// <summary>
/// <c>evidence.pdf</c>: the report of <see cref="EvidenceHtml"/> as a printable document (PDFsharp), from the same
/// evidence: summary, lineage as a list by distance, runs, checks, approvals, alias history, evaluations and the audit
/// records. PDFsharp draws text from font files; where the server has none of the fonts below, the pack goes without
/// the PDF (<c>evidence.html</c> prints from any browser).
/// </summary>
internal static class EvidencePdf
{
    private const int MaxAuditLines = 1000;
    private const int WrapAt = 112;
    private const double Margin = 40, LineHeight = 11, FontSize = 8;

    private static readonly string[] RegularFonts =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    ];

    private static readonly Lazy<bool> FontsReady = new(() =>
    {
        var regular = RegularFonts.FirstOrDefault(File.Exists);
        if (regular is null)
            return false;
        var bold = regular.Replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", StringComparison.Ordinal)
            .Replace("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", StringComparison.Ordinal);
        GlobalFontSettings.FontResolver ??= new FileFontResolver(File.ReadAllBytes(regular), File.Exists(bold) ? File.ReadAllBytes(bold) : null);
        return GlobalFontSettings.FontResolver is FileFontResolver;
    });

    /// <summary>Writes the PDF; false (nothing written) when no font is available.</summary>
    public static bool TryWrite(EvidenceDocument d, EvidenceAuditFile audit, Stream output)
    {
        if (!FontsReady.Value)
            return false;
        using var pdf = new PdfDocument();
        pdf.Info.Title = $"Evidence: {d.Subject.Project}/{d.Subject.Artifact}:{d.Subject.Version}";
        var writer = new PageWriter(pdf);
        var s = d.Subject;
        writer.Heading($"Evidence for {s.Artifact}:{s.Version} in project {s.Project}");
        writer.Line($"Manifest digest: {s.ManifestDigest}");
        if (s.Alias is not null)
            writer.Line($"Reached as alias {s.Alias} at {Time(s.At)}");
        if (d.Versions.FirstOrDefault(v => v.Id == s.VersionId) is { } subject)
            writer.Line($"Files: {subject.FileCount:N0}, {subject.TotalSize:N0} bytes");
        writer.Line($"Upstream lineage: {d.Versions.Count - 1} versions and {d.Runs.Count} runs ({d.Versions.Count(v => v.Redacted == true)} versions and {d.Runs.Count(r => r.Redacted == true)} runs redacted: no access)");
        writer.Line($"Promotions: {d.Promotions.Count}, approvals: {d.Promotions.Sum(p => p.Approvals.Count)}, evaluations: {d.Evaluations.Count}");
        writer.Line($"Audit records: {audit.Records.Count:N0}; chain head at export: record {audit.ChainHead.Sequence} ({audit.ChainHead.Hash})");
        writer.Line($"Exported {Time(d.ExportedAt)} by {d.ExportedBy}");

        writer.Heading("Lineage (distance from the version)");
        foreach (var v in d.Versions)
            writer.Line(v.Redacted == true ? $"[{v.Distance}] redacted ({v.Reason})" : $"[{v.Distance}] {v.Project}/{v.Artifact}:{v.Version}  {v.Type}  {v.FileCount:N0} files  {v.ManifestDigest}");
        writer.Heading("Runs");
        foreach (var r in d.Runs)
            writer.Line(r.Redacted == true ? $"[{r.Distance}] redacted ({r.Reason})" : $"[{r.Distance}] {r.Project}/{r.Name}  {r.JobType}  {r.Status}  commit {r.GitCommit ?? "-"}  host {r.Host ?? "-"}  {Time(r.StartedAt)} - {Time(r.FinishedAt)}");

        var labels = d.Versions.Where(v => v.Redacted is null).ToDictionary(v => v.Id, v => $"{v.Artifact}:{v.Version}");
        string Label(Guid? id) => id is { } v ? labels.GetValueOrDefault(v, "redacted") : "";
        writer.Heading("Checks");
        foreach (var v in d.Validations)
        {
            writer.Line($"{Label(v.VersionId)}: {v.State}, {v.Errors} errors, {v.Warnings} warnings: {v.Summary}");
            foreach (var f in v.Findings)
                writer.Line($"    {f.Severity} {f.Check}/{f.Code}: {f.Message} {f.Path} ({f.Count:N0})");
        }
        foreach (var c in d.CompareReports)
            writer.Line($"compare {Label(c.FromVersionId)} -> {Label(c.ToVersionId)}: {c.State}: {c.Summary}");
        writer.Heading("Approvals");
        foreach (var p in d.Promotions)
        {
            writer.Line($"{p.Artifact}:{p.Alias} -> {Label(p.VersionId)} ({p.Kind}, {p.State}{(p.Emergency ? ", emergency" : "")}), requested by {p.RequestedBy} at {Time(p.CreatedAt)}: {p.Comment}");
            foreach (var a in p.Approvals)
                writer.Line($"    approved by {a.User} at {Time(a.At)}: {a.Comment}");
            foreach (var c in p.Comments)
                writer.Line($"    {c.Kind} by {c.Author} at {Time(c.At)}: {c.Text}");
            writer.Line($"    reviewed {Time(p.ReviewedAt)}, applied {Time(p.AppliedAt)}");
        }
        writer.Heading("Alias history");
        foreach (var m in d.AliasHistory)
            writer.Line($"{m.Artifact}:{m.Alias}  {m.FromVersion ?? "-"} -> {m.ToVersion ?? "(removed)"}  by {m.Actor} at {Time(m.At)}  {m.Reason}");
        writer.Heading("Evaluations");
        foreach (var e in d.Evaluations)
            writer.Line($"{e.Name ?? e.Id.ToString()} on {Label(e.SubjectVersionId)} with {e.EvalSet}: {e.ExampleCount:N0} examples; " +
                string.Join(", ", e.Scores.Select(x => $"{x.Scorer} {x.Mean?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-"}")));
        writer.Heading("Audit records");
        foreach (var r in audit.Records.Take(MaxAuditLines))
            writer.Line($"#{r.Sequence} {r.At} {r.Action} {r.TargetType} {r.TargetId} {r.Hash[..16]}");
        if (audit.Records.Count > MaxAuditLines)
            writer.Line($"... and {audit.Records.Count - MaxAuditLines:N0} more in audit.json");
        writer.Dispose();
        pdf.Save(output, false);
        return true;
    }

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "-";

    /// <summary>Lines of text down A4 pages, wrapped by length, a new page when one is full.</summary>
    private sealed class PageWriter(PdfDocument pdf) : IDisposable
    {
        private readonly XFont _text = new("Portal", FontSize, XFontStyleEx.Regular);
        private readonly XFont _heading = new("Portal", 12, XFontStyleEx.Bold);
        private XGraphics? _gfx;
        private double _y;
        private PdfPage? _page;

        public void Heading(string text)
        {
            _y += 6;
            Draw(text, _heading, 16);
        }

        public void Line(string text)
        {
            var clean = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
            for (var start = 0; start < clean.Length || start == 0; start += WrapAt)
            {
                var part = clean.AsSpan(start, Math.Min(WrapAt, clean.Length - start));
                Draw(start > 0 ? string.Concat("    ", part) : part.ToString(), _text, LineHeight);
                if (clean.Length == 0)
                    break;
            }
        }

        private void Draw(string text, XFont font, double height)
        {
            if (_gfx is null || _y + height > _page!.Height.Point - Margin)
            {
                _gfx?.Dispose();
                _page = pdf.AddPage();
                _page.Size = PdfSharp.PageSize.A4;
                _gfx = XGraphics.FromPdfPage(_page);
                _y = Margin;
            }
            _gfx.DrawString(text, font, XBrushes.Black, Margin, _y + height - 3);
            _y += height;
        }

        public void Dispose() => _gfx?.Dispose();
    }

    /// <summary>Every family resolves to the one font file found (bold to its bold face when there is one).</summary>
    private sealed class FileFontResolver(byte[] regular, byte[]? bold) : IFontResolver
    {
        public FontResolverInfo ResolveTypeface(string familyName, bool isBold, bool isItalic) =>
            isBold && bold is not null ? new FontResolverInfo("portal-bold") : new FontResolverInfo("portal-regular", isBold, isItalic);

        public byte[] GetFont(string faceName) => faceName == "portal-bold" && bold is not null ? bold : regular;
    }
}
