using Portal.Client.Models;

namespace Portal.Web.Features.Lineage;

/// <summary>Where each lineage node's own page is.</summary>
public static class LineageLinks
{
    public static string? Page(string slug, LineageNodeResponse node) => node switch
    {
        { Version: { Index: { } index } v } => $"/projects/{Uri.EscapeDataString(slug)}/artifacts/{Uri.EscapeDataString(v.ArtifactName)}/v{index}",
        { Run: { } r } => $"/projects/{Uri.EscapeDataString(slug)}/runs/{r.RunId}",
        _ => null,
    };

    public static string Explorer(string slug, string focus) => $"/projects/{Uri.EscapeDataString(slug)}/lineage?focus={Uri.EscapeDataString(focus)}";

    /// <summary>The filter key the diagram script uses: <c>artifact:&lt;type&gt;</c> or <c>job:&lt;type&gt;</c>.</summary>
    public static string? FilterKey(LineageNodeResponse node) => node switch
    {
        { Version: { } v } => "artifact:" + v.ArtifactType,
        { Run: { } r } => "job:" + r.JobType,
        { Cluster: { } c } => (c.NodeKind == "run" ? "job:" : "artifact:") + c.Type,
        _ => null,
    };
}
