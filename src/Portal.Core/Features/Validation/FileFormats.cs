namespace Portal.Core.Features.Validation;

public enum FileFormat
{
    /// <summary>Not read (binary, weights, archives …): only its size counts.</summary>
    Opaque,
    Text,
    Jsonl,
    Csv,
    Tsv,
}

/// <summary>Which files are read, and how, decided by the file name (a <c>.gz</c> suffix is looked through).</summary>
public static class FileFormats
{
    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".txt", ".md", ".markdown", ".json", ".yaml", ".yml", ".xml", ".html", ".htm", ".log", ".rst", ".ini", ".toml",
        ".cfg", ".conf", ".env", ".py", ".sql", ".sh", ".properties", ".tex", ".srt", ".vtt", ".pem", ".key",
    };

    public static FileFormat Of(string path)
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var extension = Path.GetExtension(name);
        if (extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase) || extension.Equals(".ndjson", StringComparison.OrdinalIgnoreCase))
            return FileFormat.Jsonl;
        if (extension.Equals(".csv", StringComparison.OrdinalIgnoreCase))
            return FileFormat.Csv;
        if (extension.Equals(".tsv", StringComparison.OrdinalIgnoreCase))
            return FileFormat.Tsv;
        return TextExtensions.Contains(extension) || extension.Length == 0 ? FileFormat.Text : FileFormat.Opaque;
    }

    public static bool IsTabular(FileFormat format) => format is FileFormat.Jsonl or FileFormat.Csv or FileFormat.Tsv;

    public static string Name(FileFormat format) => format.ToString().ToLowerInvariant();
}
