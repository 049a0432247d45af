using System.Text.Json;
using Portal.Client;
using Portal.Client.Models;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>The API's manifest entries (<see cref="ManifestEntryModel"/>) as the manifest pipeline's entries.</summary>
public static class ManifestEntryModels
{
    public static ManifestEntry ToEntry(ManifestEntryModel model, long position)
    {
        string? extra = null;
        if (model.Extra is { } element && element.ValueKind != JsonValueKind.Null)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw PortalException.BadRequest(ErrorCodes.ManifestMalformed, $"Entry {position}: field \"extra\" must be a JSON object.",
                    new Dictionary<string, object?> { ["line"] = position });
            }
            extra = element.GetRawText();
        }
        if (model.Path is null || model.Digest is null)
        {
            throw PortalException.BadRequest(ErrorCodes.ManifestMalformed, $"Entry {position}: fields \"path\" and \"digest\" are required.",
                new Dictionary<string, object?> { ["line"] = position });
        }
        return new ManifestEntry(model.Path, model.Digest, model.Size, model.Ref, extra);
    }
}
