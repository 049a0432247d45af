namespace Portal.Client.Models;

public static class SearchHitKind
{
    public const string Artifact = "artifact";
    public const string Version = "version";
    public const string Run = "run";
}

/// <summary>
/// One thing a search found. <see cref="Href"/> is the portal page that shows it; <see cref="MatchedBy"/> says what
/// matched (<c>name</c>, <c>alias</c>, <c>digest</c> or <c>reference</c>).
/// </summary>
public sealed record SearchHit(string Kind, string Project, string Title, string Detail, string Href, string MatchedBy);

/// <summary>
/// Answer to <c>GET /api/v1/search?q=</c>: artifacts, versions and runs of the projects the caller can read, at most
/// the limit of each kind; <see cref="Capped"/> says some kind had more.
/// </summary>
public sealed record SearchResponse(string Query, IReadOnlyList<SearchHit> Artifacts, IReadOnlyList<SearchHit> Versions, IReadOnlyList<SearchHit> Runs, bool Capped);
