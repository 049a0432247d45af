namespace Portal.Client.Models;

/// <summary>
/// A site-wide registry collection such as <c>support-retriever</c>: a model card (Markdown), a type, the card fields it
/// requires and the values given so far. <see cref="MissingFields"/> lists the required fields without a value; while
/// one is missing, links and promotions are refused with <c>registry_card_incomplete</c>. <see cref="Role"/> is the
/// caller's role (every signed-in user reads collections as a <c>Viewer</c>).
/// </summary>
public sealed record RegistryCollectionResponse(
    Guid Id,
    string Name,
    string Title,
    string Type,
    string Card,
    IReadOnlyList<string> RequiredFields,
    IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<string> MissingFields,
    int VersionCount,
    IReadOnlyDictionary<string, string> Aliases,
    string Role,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// Creates a collection; its name (<c>[a-z0-9-]{1,64}</c>) shares the namespace of project slugs. You become its admin.
/// </summary>
public sealed record CreateRegistryCollectionRequest(
    string Name,
    string Type,
    string? Title = null,
    string? Card = null,
    IReadOnlyList<string>? RequiredFields = null,
    IReadOnlyDictionary<string, string>? Fields = null);

/// <summary>Changes a collection's card (collection admins). A property left out (null) keeps its value; <see cref="Fields"/> replaces all values.</summary>
public sealed record UpdateRegistryCollectionRequest(
    string? Title = null,
    string? Card = null,
    IReadOnlyList<string>? RequiredFields = null,
    IReadOnlyDictionary<string, string>? Fields = null);

/// <summary>Links a committed version of a project into the collection: <c>rag-support</c>, <c>index</c>, <c>v7</c> (or an alias, id or digest).</summary>
public sealed record LinkRegistryVersionRequest(string Project, string Artifact, string Version, string? Comment = null);

/// <summary>
/// Where a collection version came from. When the caller may not read the source project, <see cref="Accessible"/> is
/// false and the names are withheld (null): a redacted "no access" source.
/// </summary>
public sealed record RegistrySourceResponse(bool Accessible, string? Project, string? Artifact, string? Version, Guid? VersionId);

/// <summary>
/// One version of a collection (<c>support-retriever:v3</c>): a link to a committed project version with the same
/// manifest. An unlinked version keeps its record (<see cref="UnlinkedAt"/>) but is no longer a live version.
/// </summary>
public sealed record RegistryVersionResponse(
    Guid Id,
    string Version,
    string ManifestDigest,
    long FileCount,
    long TotalSize,
    IReadOnlyList<string> Aliases,
    RegistrySourceResponse Source,
    string LinkedBy,
    DateTimeOffset LinkedAt,
    string? Comment,
    DateTimeOffset? UnlinkedAt,
    string? UnlinkedBy);

/// <summary>
/// The lineage of a collection version across its link: the collection version, its source (redacted when not readable)
/// and, when the caller reads the source project, the source's lineage graph around the source version.
/// </summary>
public sealed record RegistryLineageResponse(RegistryVersionResponse Version, LineageGraphResponse? SourceGraph);
