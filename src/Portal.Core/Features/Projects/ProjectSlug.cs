using System.Text.RegularExpressions;
using Portal.Client;

namespace Portal.Core.Features.Projects;

public static partial class ProjectSlug
{
    [GeneratedRegex("^[a-z0-9-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? slug) => slug is not null && Pattern().IsMatch(slug);

    public static void Validate(string? slug)
    {
        if (string.IsNullOrEmpty(slug))
            throw PortalException.BadRequest(ErrorCodes.ProjectSlugInvalid, "A project needs a slug: 1 to 64 characters of a-z, 0-9 and '-', e.g. \"rag-support\".");
        if (!IsValid(slug))
        {
            var shown = slug.Length > 80 ? slug[..80] + "…" : slug;
            throw PortalException.BadRequest(
                ErrorCodes.ProjectSlugInvalid,
                $"'{shown}' is not a valid slug: use 1 to 64 characters of a-z, 0-9 and '-' (got {slug.Length} characters).");
        }
    }
}
