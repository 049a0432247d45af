using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Data;

namespace Portal.Core.Features.Registry;

/// <summary>The rules of a collection's card: field names, lengths, and "every required field has a value".</summary>
public static partial class RegistryCards
{
    public const int MaxCardLength = 20000;
    public const int MaxFields = 32;
    public const int MaxFieldValueLength = 500;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldName();

    public static IReadOnlyList<string> ParseRequired(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];

    public static IReadOnlyDictionary<string, string> ParseFields(string json) =>
        JsonSerializer.Deserialize<SortedDictionary<string, string>>(json) ?? new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The required fields without a (non-blank) value, in the order the collection lists them.</summary>
    public static IReadOnlyList<string> Missing(IReadOnlyList<string> required, IReadOnlyDictionary<string, string> fields) =>
        required.Where(name => !fields.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value)).ToList();

    public static List<string> ValidateRequired(IReadOnlyList<string>? names)
    {
        var list = (names ?? []).Select(n => n?.Trim() ?? "").ToList();
        if (list.Count > MaxFields)
            throw PortalException.BadRequest(ErrorCodes.RegistryFieldInvalid, $"A collection requires at most {MaxFields} card fields (got {list.Count}).");
        foreach (var name in list)
            ValidateName(name);
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    public static SortedDictionary<string, string> ValidateFields(IReadOnlyDictionary<string, string>? fields)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (fields is null)
            return result;
        if (fields.Count > MaxFields)
            throw PortalException.BadRequest(ErrorCodes.RegistryFieldInvalid, $"A card has at most {MaxFields} fields (got {fields.Count}).");
        foreach (var (name, value) in fields)
        {
            ValidateName(name);
            var text = value?.Trim() ?? "";
            if (text.Length > MaxFieldValueLength)
                throw PortalException.BadRequest(ErrorCodes.RegistryFieldInvalid, $"Card field '{name}' has at most {MaxFieldValueLength} characters (got {text.Length}).");
            if (text.Length > 0)
                result[name] = text;
        }
        return result;
    }

    public static string ValidateCard(string? card)
    {
        var text = card ?? "";
        if (text.Length > MaxCardLength)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"A model card has at most {MaxCardLength:N0} characters (got {text.Length:N0}).");
        return text;
    }

    private static void ValidateName(string name)
    {
        if (!FieldName().IsMatch(name))
        {
            throw PortalException.BadRequest(ErrorCodes.RegistryFieldInvalid,
                $"'{(name.Length > 70 ? name[..70] + "…" : name)}' is not a card field name: use a lower-case letter, then up to 63 of a-z, 0-9 and '_' (e.g. licence, intended_use).");
        }
    }

    /// <summary>
    /// Refuses with 409 <c>registry_card_incomplete</c> while the collection of <paramref name="projectId"/> lacks a
    /// required field; does nothing for an ordinary project.
    /// </summary>
    public static async Task RequireCompleteAsync(PortalDbContext db, Guid projectId, string action, CancellationToken ct)
    {
        var collection = await db.RegistryCollections.AsNoTracking()
            .Where(c => c.ProjectId == projectId)
            .Select(c => new { c.Project.Slug, c.RequiredFieldsJson, c.FieldsJson })
            .SingleOrDefaultAsync(ct);
        if (collection is null)
            return;
        var missing = Missing(ParseRequired(collection.RequiredFieldsJson), ParseFields(collection.FieldsJson));
        if (missing.Count > 0)
        {
            throw PortalException.Conflict(ErrorCodes.RegistryCardIncomplete,
                $"Collection '{collection.Slug}' cannot {action} while its card lacks {string.Join(", ", missing)}. A collection admin fills them in on the collection page or with PATCH /api/v1/registry/collections/{collection.Slug}.",
                new Dictionary<string, object?> { ["missingFields"] = missing });
        }
    }
}
