using MudBlazor;

namespace Portal.Web.Components.Layout;

/// <summary>
/// The portal's colours. Every colour used for text (chips, outlined and text buttons, links) reaches 4.5:1 against
/// the surface of its theme, and every filled colour carries a contrast text that reaches 4.5:1 on it; the
/// accessibility tests check both themes with axe-core.
/// </summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4F46E5",
            Secondary = "#075985",
            Tertiary = "#065F46",
            Info = "#1D4ED8",
            Success = "#166534",
            Warning = "#92400E",
            Error = "#B91C1C",
            AppbarBackground = "#111827",
            AppbarText = "#F9FAFB",
            Background = "#F7F8FA",
            Surface = "#FFFFFF",
            DrawerBackground = "#FFFFFF",
            DrawerText = "#374151",
            TextPrimary = "#111827",
            TextSecondary = "#636B78",
            LinesDefault = "#E5E7EB",
            TableLines = "#EEF0F3",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818CF8",
            PrimaryContrastText = "#0B0F19",
            Secondary = "#38BDF8",
            SecondaryContrastText = "#0B0F19",
            Tertiary = "#34D399",
            TertiaryContrastText = "#0B0F19",
            Info = "#60A5FA",
            InfoContrastText = "#0B0F19",
            Success = "#34D399",
            SuccessContrastText = "#0B0F19",
            Warning = "#FBBF24",
            WarningContrastText = "#0B0F19",
            Error = "#F87171",
            ErrorContrastText = "#0B0F19",
            AppbarBackground = "#0B0F19",
            Background = "#0F1420",
            Surface = "#161C2B",
            DrawerBackground = "#121826",
            TextPrimary = "#E5E7EB",
            TextSecondary = "#9CA3AF",
            LinesDefault = "#273042",
            TableLines = "#222A3A",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["Inter", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
                FontSize = ".875rem",
            },
            H4 = new H4Typography { FontSize = "1.6rem", FontWeight = "600" },
            H5 = new H5Typography { FontSize = "1.25rem", FontWeight = "600" },
            H6 = new H6Typography { FontSize = "1.05rem", FontWeight = "600" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "8px", DrawerWidthLeft = "232px" },
    };
}
