using System.Globalization;
using System.Net;
using System.Text;
using Portal.Client.Models;
using Portal.Core.Features.Notifications;

namespace Portal.Core.Features.Reports;

/// <summary>
/// Turns a <see cref="DigestReport"/> into the subject, a plain-text body and an HTML body. Every piece of user text
/// (project, artifact and alias names, people's names, comments, reasons, summaries) is HTML-encoded; links are
/// absolute when <c>Portal:PublicUrl</c> is set, else paths relative to the portal.
/// </summary>
public static class DigestRenderer
{
    public static DigestPreviewResponse Render(DigestReport report, string? publicUrl)
    {
        var links = new Links(publicUrl, report.ProjectSlug);
        return new DigestPreviewResponse(report.ProjectSlug, report.From, report.To, report.IsEmpty, report.Counts,
            Subject(report), Text(report, links), Html(report, links));
    }

    public static EmailMessage ToMessage(DigestPreviewResponse rendered, string to) =>
        new([to], rendered.Subject, rendered.TextBody, rendered.HtmlBody);

    public static string Subject(DigestReport r)
    {
        var kind = r.Frequency == DigestFrequency.Weekly ? "Weekly" : "Daily";
        if (r.IsEmpty)
            return $"[{r.ProjectSlug}] {kind} digest: nothing new";
        var parts = new List<string>();
        void Add(int n, string one, string many)
        {
            if (n > 0)
                parts.Add($"{n} {(n == 1 ? one : many)}");
        }

        Add(r.Counts.NewVersions, "new version", "new versions");
        Add(r.Counts.AliasMoves, "alias move", "alias moves");
        Add(r.Counts.Promotions, "promotion decision", "promotion decisions");
        Add(r.Counts.FailedValidations, "failed validation", "failed validations");
        Add(r.Counts.WaitingApprovals, "request waiting for you", "requests waiting for you");
        return $"[{r.ProjectSlug}] {kind} digest: {string.Join(", ", parts)}";
    }

    private static string Period(DigestReport r) =>
        $"{r.From.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} – {r.To.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("MMM d HH:mm", CultureInfo.InvariantCulture);

    private static string More(int total, int shown) => total > shown ? $"… and {total - shown} more" : "";

    private static string Text(DigestReport r, Links links)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"{r.ProjectName} ({r.ProjectSlug}): {Period(r)}\n");
        if (r.IsEmpty)
        {
            s.Append("\nNothing happened in this period. No e-mail is sent for an empty period.\n");
            return s.ToString();
        }

        if (r.Waiting.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\nWaiting for you ({r.Counts.WaitingApprovals})\n");
            foreach (var w in r.Waiting)
                s.Append(CultureInfo.InvariantCulture, $"- {w.Artifact}:{w.Alias} → {w.Version}, {(w.Review ? "emergency change to review" : "approval")} requested by {w.RequestedBy} on {When(w.At)}{Quote(w.Comment)}\n  {links.Promotion(w.RequestId)}\n");
            AppendMore(s, r.Counts.WaitingApprovals, r.Waiting.Count);
        }

        if (r.FailedValidations.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\nFailed validations ({r.Counts.FailedValidations})\n");
            foreach (var f in r.FailedValidations)
                s.Append(CultureInfo.InvariantCulture, $"- {f.Artifact}:{f.Version}: {f.Errors} error(s), {f.Warnings} warning(s). {f.Summary}\n  {links.Version(f.Artifact, f.Version)}\n");
            AppendMore(s, r.Counts.FailedValidations, r.FailedValidations.Count);
        }

        if (r.NewVersions.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\nNew versions ({r.Counts.NewVersions})\n");
            foreach (var v in r.NewVersions)
                s.Append(CultureInfo.InvariantCulture, $"- {v.Artifact}:{v.Version} ({v.Type}, {Files(v.FileCount)}, {Bytes(v.TotalSize)}) by {v.By ?? "someone"} on {When(v.At)}\n  {links.Version(v.Artifact, v.Version)}\n");
            AppendMore(s, r.Counts.NewVersions, r.NewVersions.Count);
        }

        if (r.AliasMoves.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\nAlias moves ({r.Counts.AliasMoves})\n");
            foreach (var m in r.AliasMoves)
                s.Append(CultureInfo.InvariantCulture, $"- {m.Artifact}:{m.Alias}: {m.From ?? "none"} → {m.To ?? "removed"} by {m.By ?? "someone"} on {When(m.At)}{Quote(m.Reason)}\n");
            AppendMore(s, r.Counts.AliasMoves, r.AliasMoves.Count);
        }

        if (r.Promotions.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\nPromotions ({r.Counts.Promotions})\n");
            foreach (var p in r.Promotions)
                s.Append(CultureInfo.InvariantCulture, $"- {p.Artifact}:{p.Alias} → {p.Version}: {p.Outcome}{(p.By is null ? "" : " by " + p.By)} on {When(p.At)}{Quote(p.Comment)}\n  {links.Promotion(p.RequestId)}\n");
            AppendMore(s, r.Counts.Promotions, r.Promotions.Count);
        }

        s.Append(CultureInfo.InvariantCulture, $"\nProject: {links.Project()}\nChange or stop these e-mails: {links.Settings()}\n");
        return s.ToString();
    }

    private static void AppendMore(StringBuilder s, int total, int shown)
    {
        if (total > shown)
            s.Append(More(total, shown)).Append('\n');
    }

    private static string Quote(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $": \"{text.Trim()}\"";

    private static string Html(DigestReport r, Links links)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(E(Subject(r))).Append("</title></head>");
        s.Append("<body style=\"font-family:Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2933;margin:0;padding:16px;background:#f5f7fa\">");
        s.Append("<div style=\"max-width:680px;margin:0 auto;background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:20px\">");
        s.Append("<h1 style=\"font-size:20px;margin:0 0 4px\"><a style=\"color:#1f2933;text-decoration:none\" href=\"").Append(E(links.Project())).Append("\">")
            .Append(E(r.ProjectName)).Append("</a></h1>");
        s.Append("<p style=\"margin:0 0 16px;color:#616e7c\">").Append(E(r.Frequency == DigestFrequency.Weekly ? "Weekly digest" : "Daily digest"))
            .Append(" · ").Append(E(Period(r))).Append("</p>");
        if (r.IsEmpty)
        {
            s.Append("<p>Nothing happened in this period. No e-mail is sent for an empty period.</p></div></body></html>");
            return s.ToString();
        }

        void Section(string title, int total, int shown, IEnumerable<string> items)
        {
            if (shown == 0)
                return;
            s.Append("<h2 style=\"font-size:16px;margin:20px 0 8px\">").Append(E(title)).Append(" (").Append(total.ToString(CultureInfo.InvariantCulture)).Append(")</h2><ul style=\"padding-left:20px;margin:0\">");
            foreach (var item in items)
                s.Append("<li style=\"margin:0 0 6px\">").Append(item).Append("</li>");
            s.Append("</ul>");
            if (total > shown)
                s.Append("<p style=\"color:#616e7c;margin:4px 0 0\">").Append(E(More(total, shown))).Append("</p>");
        }

        string A(string href, string text) => $"<a href=\"{E(href)}\">{E(text)}</a>";
        string QuoteHtml(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $"<br><span style=\"color:#616e7c\">“{E(text.Trim())}”</span>";
        string Muted(string text) => $"<span style=\"color:#616e7c\">{E(text)}</span>";

        Section("Waiting for you", r.Counts.WaitingApprovals, r.Waiting.Count, r.Waiting.Select(w =>
            $"{A(links.Promotion(w.RequestId), $"{w.Artifact}:{w.Alias} → {w.Version}")} {Muted($"{(w.Review ? "emergency change to review" : "approval")} requested by {w.RequestedBy} on {When(w.At)}")}{QuoteHtml(w.Comment)}"));
        Section("Failed validations", r.Counts.FailedValidations, r.FailedValidations.Count, r.FailedValidations.Select(f =>
            $"{A(links.Version(f.Artifact, f.Version), $"{f.Artifact}:{f.Version}")} <b style=\"color:#c62828\">{f.Errors} error(s)</b>, {f.Warnings} warning(s)<br>{Muted(f.Summary)}"));
        Section("New versions", r.Counts.NewVersions, r.NewVersions.Count, r.NewVersions.Select(v =>
            $"{A(links.Version(v.Artifact, v.Version), $"{v.Artifact}:{v.Version}")} {Muted($"{v.Type}, {Files(v.FileCount)}, {Bytes(v.TotalSize)} · by {v.By ?? "someone"} on {When(v.At)}")}"));
        Section("Alias moves", r.Counts.AliasMoves, r.AliasMoves.Count, r.AliasMoves.Select(m =>
            $"<b>{E($"{m.Artifact}:{m.Alias}")}</b> {E($"{m.From ?? "none"} → {m.To ?? "removed"}")} {Muted($"by {m.By ?? "someone"} on {When(m.At)}")}{QuoteHtml(m.Reason)}"));
        Section("Promotions", r.Counts.Promotions, r.Promotions.Count, r.Promotions.Select(p =>
            $"{A(links.Promotion(p.RequestId), $"{p.Artifact}:{p.Alias} → {p.Version}")} <b>{E(p.Outcome)}</b> {Muted($"{(p.By is null ? "" : "by " + p.By + " ")}on {When(p.At)}")}{QuoteHtml(p.Comment)}"));

        s.Append("<p style=\"margin:24px 0 0;color:#616e7c;font-size:12px\">").Append(A(links.Settings(), "Change or stop these e-mails")).Append("</p>");
        s.Append("</div></body></html>");
        return s.ToString();
    }

    private static string Files(long n) => n == 1 ? "1 file" : $"{n.ToString("N0", CultureInfo.InvariantCulture)} files";

    private static string Bytes(long n)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = n;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{n} B" : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }

    private sealed class Links(string? publicUrl, string slug)
    {
        private readonly string _base = string.IsNullOrWhiteSpace(publicUrl) ? "" : publicUrl.Trim().TrimEnd('/');
        private readonly string _slug = Uri.EscapeDataString(slug);

        public string Project() => $"{_base}/projects/{_slug}";

        public string Settings() => $"{_base}/projects/{_slug}/settings/reports";

        public string Version(string artifact, string version) => $"{_base}/projects/{_slug}/artifacts/{Uri.EscapeDataString(artifact)}/{Uri.EscapeDataString(version)}";

        public string Promotion(Guid id) => $"{_base}/projects/{_slug}/promotions/{id}";
    }
}
