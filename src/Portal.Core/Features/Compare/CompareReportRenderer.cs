using System.Globalization;
using System.Net;
using System.Text;
using Portal.Client.Models;

namespace Portal.Core.Features.Compare;

/// <summary>A finished report as a self-contained HTML page, Markdown, or CSV (one line per change).</summary>
public static class CompareReportRenderer
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Markdown(CompareReportResponse report)
    {
        var md = new StringBuilder();
        var r = report.Report;
        md.Append(Invariant, $"# Compare report\n\n`{r.FromVersionId}` → `{r.ToVersionId}`\n\n{r.Summary}\n\n");
        if (report.FromStatistics is { } a && report.ToStatistics is { } b)
        {
            md.Append("## Statistics\n\n| | from | to |\n|---|---:|---:|\n");
            md.Append(Invariant, $"| files | {a.Files:N0} | {b.Files:N0} |\n| bytes | {a.Bytes:N0} | {b.Bytes:N0} |\n| tabular files | {a.TabularFiles:N0} | {b.TabularFiles:N0} |\n");
            md.Append(Invariant, $"| rows | {a.Rows:N0} | {b.Rows:N0} |\n| mean text length | {a.MeanTextLength:0.#} | {b.MeanTextLength:0.#} |\n| distinct labels | {a.DistinctLabels} | {b.DistinctLabels} |\n\n");
        }

        if (report.Drift.Count > 0)
        {
            md.Append("## Drift\n\n| distribution | field | PSI | status |\n|---|---|---:|---|\n");
            foreach (var d in report.Drift)
                md.Append(Invariant, $"| {d.Metric} | {Cell(d.Field)} | {d.Psi:0.0000} | {d.Status} |\n");
            md.Append('\n');
        }

        if (report.Files is { } f)
        {
            md.Append(Invariant, $"## Files\n\n{f.Added} added, {f.Removed} removed, {f.Modified} modified, {f.Renamed} renamed.\n\n");
            if (report.FileChanges.Count > 0)
            {
                md.Append("| change | path | size |\n|---|---|---:|\n");
                foreach (var c in report.FileChanges)
                    md.Append(Invariant, $"| {c.Change} | {Cell(c.OldPath is null ? c.Path : c.OldPath + " → " + c.Path)} | {c.OldSize?.ToString("N0", Invariant) ?? "–"} → {c.NewSize?.ToString("N0", Invariant) ?? "–"} |\n");
                if (report.FileChangesTruncated)
                    md.Append(Invariant, $"\nOnly the first {report.FileChanges.Count:N0} file changes are listed.\n");
                md.Append('\n');
            }
        }

        foreach (var rows in report.Rows)
        {
            md.Append(Invariant, $"## Rows of `{rows.Path}`\n\n{rows.OldRows:N0} → {rows.NewRows:N0} rows, keyed by {(rows.KeyColumn is null ? "row content" : $"`{rows.KeyColumn}`")}: ");
            md.Append(Invariant, $"{rows.Added:N0} added, {rows.Removed:N0} removed, {rows.Modified:N0} modified, {rows.Unchanged:N0} unchanged.\n\n");
            if (rows.Samples.Count == 0)
                continue;
            md.Append("| change | key | line | changed fields | row |\n|---|---|---:|---|---|\n");
            foreach (var s in rows.Samples)
                md.Append(Invariant, $"| {s.Kind} | {Cell(s.Key ?? "")} | {s.NewLine ?? s.OldLine} | {Cell(string.Join(", ", s.ChangedFields))} | `{Cell(Short(s.After ?? s.Before))}` |\n");
            md.Append('\n');
        }

        return md.ToString();
    }

    public static string Html(CompareReportResponse report)
    {
        var html = new StringBuilder();
        var r = report.Report;
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Compare report</title><style>")
            .Append("body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2937}table{border-collapse:collapse;margin:.5rem 0 1.5rem}")
            .Append("th,td{border:1px solid #d1d5db;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f4f6}")
            .Append("code{font:12px ui-monospace,monospace;word-break:break-all}.added{color:#047857}.removed{color:#b91c1c}.modified{color:#b45309}.drift{color:#b91c1c;font-weight:600}")
            .Append("</style></head><body>");
        html.Append(Invariant, $"<h1>Compare report</h1><p><code>{E(r.FromVersionId.ToString())}</code> → <code>{E(r.ToVersionId.ToString())}</code></p><p>{E(r.Summary)}</p>");
        if (report.FromStatistics is { } a && report.ToStatistics is { } b)
        {
            html.Append("<h2>Statistics</h2><table><tr><th></th><th>from</th><th>to</th></tr>");
            html.Append(Invariant, $"<tr><td>files</td><td>{a.Files:N0}</td><td>{b.Files:N0}</td></tr><tr><td>bytes</td><td>{a.Bytes:N0}</td><td>{b.Bytes:N0}</td></tr>");
            html.Append(Invariant, $"<tr><td>rows</td><td>{a.Rows:N0}</td><td>{b.Rows:N0}</td></tr><tr><td>mean text length</td><td>{a.MeanTextLength:0.#}</td><td>{b.MeanTextLength:0.#}</td></tr>");
            html.Append(Invariant, $"<tr><td>distinct labels</td><td>{a.DistinctLabels}</td><td>{b.DistinctLabels}</td></tr></table>");
        }

        if (report.Drift.Count > 0)
        {
            html.Append("<h2>Drift</h2><table><tr><th>distribution</th><th>field</th><th>PSI</th><th>status</th></tr>");
            foreach (var d in report.Drift)
                html.Append(Invariant, $"<tr><td>{E(d.Metric)}</td><td>{E(d.Field)}</td><td>{d.Psi:0.0000}</td><td class=\"{(d.Status == "drift" ? "drift" : "")}\">{E(d.Status)}</td></tr>");
            html.Append("</table>");
        }

        if (report.FileChanges.Count > 0)
        {
            html.Append("<h2>Files</h2><table><tr><th>change</th><th>path</th><th>size</th></tr>");
            foreach (var c in report.FileChanges)
                html.Append(Invariant, $"<tr><td class=\"{E(c.Change)}\">{E(c.Change)}</td><td><code>{E(c.OldPath is null ? c.Path : c.OldPath + " → " + c.Path)}</code></td><td>{c.OldSize?.ToString("N0", Invariant) ?? "–"} → {c.NewSize?.ToString("N0", Invariant) ?? "–"}</td></tr>");
            html.Append("</table>");
        }

        foreach (var rows in report.Rows)
        {
            html.Append(Invariant, $"<h2>Rows of <code>{E(rows.Path)}</code></h2><p>{rows.OldRows:N0} → {rows.NewRows:N0} rows, keyed by {E(rows.KeyColumn ?? "row content")}: ");
            html.Append(Invariant, $"{rows.Added:N0} added, {rows.Removed:N0} removed, {rows.Modified:N0} modified, {rows.Unchanged:N0} unchanged.</p>");
            if (rows.Samples.Count == 0)
                continue;
            html.Append("<table><tr><th>change</th><th>key</th><th>line</th><th>changed fields</th><th>before</th><th>after</th></tr>");
            foreach (var s in rows.Samples)
                html.Append(Invariant, $"<tr><td class=\"{E(s.Kind)}\">{E(s.Kind)}</td><td>{E(s.Key ?? "")}</td><td>{s.NewLine ?? s.OldLine}</td><td>{E(string.Join(", ", s.ChangedFields))}</td><td><code>{E(Short(s.Before))}</code></td><td><code>{E(Short(s.After))}</code></td></tr>");
            html.Append("</table>");
        }

        return html.Append("</body></html>").ToString();
    }

    /// <summary>One line per change: file changes, row changes (samples) and drift rows, in one table.</summary>
    public static string Csv(CompareReportResponse report)
    {
        var csv = new StringBuilder("section,change,path,key,line,old_size,new_size,changed_fields,value\n");
        foreach (var c in report.FileChanges)
            Line(csv, "file", c.Change, c.Path, c.OldPath ?? "", "", c.OldSize?.ToString(Invariant) ?? "", c.NewSize?.ToString(Invariant) ?? "", "", "");
        foreach (var rows in report.Rows)
        {
            Line(csv, "rows", "summary", rows.Path, rows.KeyColumn ?? "", "", rows.OldRows.ToString(Invariant), rows.NewRows.ToString(Invariant), "",
                string.Create(Invariant, $"added={rows.Added};removed={rows.Removed};modified={rows.Modified};unchanged={rows.Unchanged}"));
            foreach (var s in rows.Samples)
                Line(csv, "row", s.Kind, rows.Path, s.Key ?? "", (s.NewLine ?? s.OldLine)?.ToString(Invariant) ?? "", "", "", string.Join(";", s.ChangedFields), s.After ?? s.Before ?? "");
        }

        foreach (var d in report.Drift)
            Line(csv, "drift", d.Status, d.Field, d.Metric, "", "", "", "", d.Psi.ToString("0.0000", Invariant));
        return csv.ToString();
    }

    private static void Line(StringBuilder csv, params string[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                csv.Append(',');
            var cell = cells[i];
            // A leading =, +, - or @ would be a formula to a spreadsheet.
            if (cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@')
                cell = "'" + cell;
            csv.Append(cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 || cell != cells[i] ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell);
        }

        csv.Append('\n');
    }

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Short(string? s) => s is null ? "" : s.Length <= 300 ? s : s[..300] + "…";
}
