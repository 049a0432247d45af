using System.Globalization;
using System.Text.Encodings.Web;
using Portal.Client.Models;

namespace Portal.Core.Features.Evidence;

/// <summary>
/// <c>evidence.html</c>: one self-contained page for a person (no scripts, no outside resources): the summary first,
/// then the upstream lineage as a static SVG, checks, compare reports, approvals, alias history, evaluations and the
/// audit records. Every text that users wrote is HTML-encoded.
/// </summary>
internal static class EvidenceHtml
{
    /// <summary>Nodes drawn at most; the tables still list every node.</summary>
    private const int MaxDrawnNodes = 400;

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:1200px}
        h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
        table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
        th{background:#f3f3f3}code{font-size:.8rem;word-break:break-all}.ok{color:#1b5e20}.bad{color:#b71c1c}.muted{color:#666}
        dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
        svg text{font-family:system-ui,sans-serif;font-size:11px}
        """;

    public static void Write(EvidenceDocument d, EvidenceAuditFile audit, TextWriter w)
    {
        var s = d.Subject;
        var subjectVersion = d.Versions.FirstOrDefault(v => v.Id == s.VersionId);
        w.Write("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence: ");
        w.Write(E($"{s.Project}/{s.Artifact}:{s.Version}"));
        w.Write("</title><style>");
        w.Write(Style);
        w.Write("</style></head><body>");
        w.Write($"<h1>Evidence for {E(s.Artifact)}:{E(s.Version)} in project {E(s.Project)}</h1>");

        w.Write("<h2>Summary</h2><dl>");
        Item(w, "Version", $"{s.Artifact}:{s.Version}");
        if (s.Alias is not null)
            Item(w, "Reached as", $"alias {s.Alias} at {Time(s.At)}");
        Item(w, "Manifest digest", s.ManifestDigest);
        if (subjectVersion is not null)
            Item(w, "Files", $"{subjectVersion.FileCount:N0} files, {subjectVersion.TotalSize:N0} bytes");
        var redactedVersions = d.Versions.Count(v => v.Redacted == true);
        var redactedRuns = d.Runs.Count(r => r.Redacted == true);
        Item(w, "Upstream lineage", $"{d.Versions.Count - 1} versions and {d.Runs.Count} runs" +
            (redactedVersions + redactedRuns > 0 ? $" ({redactedVersions} versions and {redactedRuns} runs redacted: no access)" : ""));
        var subjectValidation = d.Validations.FirstOrDefault(v => v.VersionId == s.VersionId);
        Item(w, "Validation", subjectValidation is null ? "none recorded" : $"{subjectValidation.State}: {subjectValidation.Errors} errors, {subjectValidation.Warnings} warnings");
        Item(w, "Promotions", $"{d.Promotions.Count} requests, {d.Promotions.Sum(p => p.Approvals.Count)} approvals");
        Item(w, "Evaluations", $"{d.Evaluations.Count}");
        Item(w, "Audit records", $"{audit.Records.Count:N0}; chain head at export: record {audit.ChainHead.Sequence} ({audit.ChainHead.Hash})");
        Item(w, "Exported", $"{Time(d.ExportedAt)} by {d.ExportedBy}");
        w.Write("</dl><p class=\"muted\">Verify this pack offline: <code>portal evidence verify pack.zip --public-key &lt;portal&gt;/.well-known/portal-evidence-keys.json</code></p>");

        w.Write("<h2>Lineage</h2>");
        WriteLineage(d, w);
        w.Write("<table><tr><th>Version</th><th>Type</th><th>Distance</th><th>Files</th><th>Size</th><th>Manifest digest</th><th>Committed</th></tr>");
        foreach (var v in d.Versions)
        {
            w.Write(v.Redacted == true
                ? $"<tr><td colspan=\"7\" class=\"muted\">redacted ({E(v.Reason)}), distance {v.Distance}</td></tr>"
                : $"<tr><td>{E(v.Project)}/{E(v.Artifact)}:{E(v.Version)}</td><td>{E(v.Type)}</td><td>{v.Distance}</td><td>{v.FileCount:N0}</td><td>{v.TotalSize:N0}</td><td><code>{E(v.ManifestDigest)}</code></td><td>{Time(v.CommittedAt)}</td></tr>");
        }
        w.Write("</table><h3>Runs</h3><table><tr><th>Run</th><th>Job type</th><th>Status</th><th>Git commit</th><th>Host</th><th>Started</th><th>Finished</th></tr>");
        foreach (var r in d.Runs)
        {
            w.Write(r.Redacted == true
                ? $"<tr><td colspan=\"7\" class=\"muted\">redacted ({E(r.Reason)}), distance {r.Distance}</td></tr>"
                : $"<tr><td>{E(r.Project)}/{E(r.Name)}</td><td>{E(r.JobType)}</td><td>{E(r.Status)}</td><td><code>{E(r.GitCommit)}</code></td><td>{E(r.Host)}</td><td>{Time(r.StartedAt)}</td><td>{Time(r.FinishedAt)}</td></tr>");
        }
        w.Write("</table>");

        var labels = d.Versions.Where(v => v.Redacted is null).ToDictionary(v => v.Id, v => $"{v.Artifact}:{v.Version}");
        string Label(Guid? id) => id is { } v ? labels.GetValueOrDefault(v, "redacted") : "";
        w.Write("<h2>Checks</h2>");
        if (d.Validations.Count == 0)
            w.Write("<p class=\"muted\">No validation was recorded.</p>");
        foreach (var v in d.Validations)
        {
            w.Write($"<h3>{E(Label(v.VersionId))}: <span class=\"{(v.State == "passed" ? "ok" : "bad")}\">{E(v.State)}</span></h3><p>{E(v.Summary)} ({v.FilesScanned:N0} files, {v.RowsScanned:N0} rows scanned, finished {Time(v.FinishedAt)})</p>");
            if (v.Findings.Count > 0)
            {
                w.Write("<table><tr><th>Severity</th><th>Check</th><th>Code</th><th>Message</th><th>Path</th><th>Count</th></tr>");
                foreach (var f in v.Findings)
                    w.Write($"<tr><td>{E(f.Severity)}</td><td>{E(f.Check)}</td><td>{E(f.Code)}</td><td>{E(f.Message)}</td><td>{E(f.Path)}</td><td>{f.Count:N0}</td></tr>");
                w.Write("</table>");
            }
        }
        w.Write("<h2>Compare reports</h2>");
        Table(w, ["From", "To", "State", "Summary", "Finished"], d.CompareReports.Select(c => new[] { Label(c.FromVersionId), Label(c.ToVersionId), c.State, c.Summary, Time(c.FinishedAt) }));

        w.Write("<h2>Approvals</h2>");
        if (d.Promotions.Count == 0)
            w.Write("<p class=\"muted\">No promotion was requested for these versions.</p>");
        foreach (var p in d.Promotions)
        {
            w.Write($"<h3>{E(p.Artifact)}:{E(p.Alias)} → {E(Label(p.VersionId))} ({E(p.Kind)}, {E(p.State)}{(p.Emergency ? ", emergency" : "")})</h3>");
            w.Write($"<p>Requested by {E(p.RequestedBy)} at {Time(p.CreatedAt)}: {E(p.Comment)}. Reviewed {Time(p.ReviewedAt)} {(p.ReviewedBy is null ? "" : "by " + E(p.ReviewedBy))}; applied {Time(p.AppliedAt)}.</p>");
            Table(w, ["Approved by", "At", "Comment"], p.Approvals.Select(a => new[] { a.User, Time(a.At), a.Comment ?? "" }));
            Table(w, ["Author", "Kind", "At", "Text"], p.Comments.Select(c => new[] { c.Author, c.Kind, Time(c.At), c.Text }));
        }

        w.Write("<h2>Alias history</h2>");
        Table(w, ["Alias", "From", "To", "By", "At", "Reason"], d.AliasHistory.Select(m => new[] { $"{m.Artifact}:{m.Alias}", m.FromVersion ?? "", m.ToVersion ?? "(removed)", m.Actor, Time(m.At), m.Reason }));

        w.Write("<h2>Evaluations</h2>");
        Table(w, ["Evaluation", "Version", "Eval set", "Examples", "Scores", "Rows digest"], d.Evaluations.Select(e => new[]
        {
            e.Name ?? e.Id.ToString(), Label(e.SubjectVersionId), e.EvalSet, e.ExampleCount.ToString("N0", CultureInfo.InvariantCulture),
            string.Join(", ", e.Scores.Select(x => $"{x.Scorer} {x.Mean?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-"}")), e.RowsDigest,
        }));

        w.Write("<h2>Audit records</h2>");
        Table(w, ["#", "At", "Action", "Target", "Hash"], audit.Records.Select(r => new[] { r.Sequence.ToString(CultureInfo.InvariantCulture), r.At, r.Action, $"{r.TargetType} {r.TargetId}", r.Hash }));
        w.Write("</body></html>");
    }

    /// <summary>Columns by distance (the version at the right, its sources to the left), nodes stacked in each column.</summary>
    private static void WriteLineage(EvidenceDocument d, TextWriter w)
    {
        const int columnWidth = 190, rowHeight = 34, nodeWidth = 160, nodeHeight = 24, margin = 10;
        var nodes = d.Versions.Select(v => (v.Id, v.Distance, IsRun: false, Text: v.Redacted == true ? "redacted" : $"{v.Artifact}:{v.Version}", Redacted: v.Redacted == true))
            .Concat(d.Runs.Select(r => (r.Id, r.Distance, IsRun: true, Text: r.Redacted == true ? "redacted" : $"{r.Name} ({r.JobType})", Redacted: r.Redacted == true)))
            .OrderBy(n => n.Distance).Take(MaxDrawnNodes).ToList();
        var maxDistance = nodes.Count == 0 ? 0 : nodes.Max(n => n.Distance);
        var positions = new Dictionary<Guid, (int X, int Y)>();
        var rows = 0;
        foreach (var column in nodes.GroupBy(n => n.Distance))
        {
            var row = 0;
            foreach (var n in column)
                positions[n.Id] = (margin + (maxDistance - n.Distance) * columnWidth, margin + row++ * rowHeight);
            rows = Math.Max(rows, row);
        }
        var width = margin * 2 + (maxDistance + 1) * columnWidth;
        var height = margin * 2 + Math.Max(rows, 1) * rowHeight;
        w.Write($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Upstream lineage\">");
        foreach (var e in d.Edges)
        {
            if (!positions.TryGetValue(e.RunId, out var run) || !positions.TryGetValue(e.VersionId, out var version))
                continue;
            var (from, to) = e.Direction == "used" ? (version, run) : (run, version);
            w.Write($"<line x1=\"{from.X + nodeWidth}\" y1=\"{from.Y + nodeHeight / 2}\" x2=\"{to.X}\" y2=\"{to.Y + nodeHeight / 2}\" stroke=\"#888\"/>");
        }
        foreach (var n in nodes)
        {
            var (x, y) = positions[n.Id];
            var fill = n.Redacted ? "#eee" : n.IsRun ? "#e3f2fd" : n.Distance == 0 ? "#fff3e0" : "#e8f5e9";
            w.Write($"<rect x=\"{x}\" y=\"{y}\" width=\"{nodeWidth}\" height=\"{nodeHeight}\" rx=\"{(n.IsRun ? 12 : 3)}\" fill=\"{fill}\" stroke=\"#555\"/>");
            var text = n.Text.Length > 26 ? n.Text[..25] + "…" : n.Text;
            w.Write($"<text x=\"{x + 6}\" y=\"{y + 16}\">{E(text)}</text>");
        }
        w.Write("</svg>");
        if (d.Versions.Count + d.Runs.Count > MaxDrawnNodes)
            w.Write($"<p class=\"muted\">The drawing shows the {MaxDrawnNodes} nearest nodes; the tables list all.</p>");
    }

    private static void Item(TextWriter w, string name, string value) => w.Write($"<dt>{E(name)}</dt><dd>{E(value)}</dd>");

    private static void Table(TextWriter w, string[] headers, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            w.Write("<p class=\"muted\">None.</p>");
            return;
        }
        w.Write("<table><tr>");
        foreach (var h in headers)
            w.Write($"<th>{E(h)}</th>");
        w.Write("</tr>");
        foreach (var row in list)
        {
            w.Write("<tr>");
            foreach (var cell in row)
                w.Write($"<td>{E(cell)}</td>");
            w.Write("</tr>");
        }
        w.Write("</table>");
    }

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "-";

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");
}
