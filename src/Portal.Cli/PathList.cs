namespace Portal.Cli;

/// <summary>
/// A message that names many paths at once: the first <see cref="Shown"/>, one a line, and how many more there are,
/// so one run tells the user everything to fix without flooding the terminal.
/// </summary>
internal static class PathList
{
    public const int Shown = 20;

    public static string Format(string heading, IReadOnlyCollection<string> lines) =>
        heading + string.Concat(lines.Take(Shown).Select(line => Environment.NewLine + "  " + line))
        + (lines.Count > Shown ? $"{Environment.NewLine}  … and {lines.Count - Shown} more" : "");
}
