namespace Portal.Core.Features.Validation;

/// <summary>Site-wide validation settings: section <c>Validation</c>.</summary>
public sealed class ValidationOptions
{
    public const string Section = "Validation";

    /// <summary>
    /// Regions (ISO 3166 two-letter codes, comma-separated) whose national phone formats count as phone numbers, e.g.
    /// <c>"US,GB,DE"</c>. Numbers written with <c>+</c> and a country code are found whatever this says; more regions
    /// find more national numbers and let more digit groups pass for one.
    /// </summary>
    public string PhoneRegions { get; set; } = string.Join(",", PiiScanner.DefaultPhoneRegions);
}
