using System.Text.Json;

namespace Portal.Cli;

/// <summary>What <c>portal login</c> stores: the server and the token, in a file only the user can read.</summary>
public sealed record CliConfig(string? Url, string? Token, string? Project = null)
{
    public const string FileName = "config.json";

    public static CliConfig Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return new CliConfig(null, null);
        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), CliJson.Options) ?? new CliConfig(null, null);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not valid JSON ({ex.Message}); run 'portal login' again.");
        }
    }

    /// <summary>
    /// Writes through a temporary file created with mode 600 and renamed over the old one, so the token is never
    /// readable by others, not even for a moment, and a crash cannot leave half a file.
    /// </summary>
    public string Save(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = Path.Combine(folder, FileName);
        var temp = path + $".{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // A temporary file left by a crash could carry other permissions; it is replaced, never reused.
        File.Delete(temp);
        using (var stream = new FileStream(temp, options))
            JsonSerializer.Serialize(stream, this, CliJson.Options);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
