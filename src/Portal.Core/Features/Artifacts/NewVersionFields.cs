using System.Text.Json;
using Portal.Client;

namespace Portal.Core.Features.Artifacts;

/// <summary>What describes a new version besides its manifest (JSON body fields, or query parameters in NDJSON mode).</summary>
public sealed record NewVersionFields(string? Type, string? Description, string? MetadataJson, IReadOnlyList<string>? Aliases, Guid? RunId)
{
    public const int MaxDescriptionLength = 20_000;
    public const int MaxMetadataLength = 1024 * 1024;
    public const int MaxRequestedAliases = 32;

    /// <summary>
    /// Checks every field against the limits, for every way a version is made (API, ingestions, the job that runs an
    /// ingestion), so a bad field is refused where it is given: the type's form, a description of at most
    /// <see cref="MaxDescriptionLength"/> characters, metadata as a JSON object of at most <see cref="MaxMetadataLength"/>
    /// characters, at most <see cref="MaxRequestedAliases"/> well-formed custom aliases.
    /// </summary>
    public (string? Type, string Description, string MetadataJson, List<string> Aliases) Validate()
    {
        var type = string.IsNullOrEmpty(Type) ? null : Type;
        if (type is not null)
            ArtifactNames.ValidateType(type);

        var description = Description ?? "";
        if (description.Length > MaxDescriptionLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A version description has at most {MaxDescriptionLength:N0} characters (got {description.Length:N0}).");

        var metadataJson = "{}";
        if (!string.IsNullOrWhiteSpace(MetadataJson))
        {
            if (MetadataJson.Length > MaxMetadataLength)
                throw PortalException.BadRequest(ErrorCodes.MetadataInvalid, $"Metadata is at most {MaxMetadataLength:N0} characters of JSON.");
            try
            {
                using var document = JsonDocument.Parse(MetadataJson);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw PortalException.BadRequest(ErrorCodes.MetadataInvalid, "Metadata must be a JSON object, such as {\"rows\": 1200}.");
                metadataJson = document.RootElement.GetRawText();
            }
            catch (JsonException ex)
            {
                throw PortalException.BadRequest(ErrorCodes.MetadataInvalid, $"Metadata is not valid JSON: {ex.Message}");
            }
        }

        var aliases = (Aliases ?? []).Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (aliases.Count > MaxRequestedAliases)
            throw PortalException.BadRequest(ErrorCodes.AliasInvalid, $"Ask for at most {MaxRequestedAliases} aliases per version (got {aliases.Count}).");
        foreach (var alias in aliases)
            ArtifactNames.ValidateCustomAlias(alias);
        return (type, description, metadataJson, aliases);
    }
}
