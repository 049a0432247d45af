using System.Security.Cryptography;
using Portal.Client.Models;
using Portal.Core.Features.Validation;

namespace Portal.TestCommon;

/// <summary>A file of the corpus: its path as a version would list it, and where it lies on this machine.</summary>
public sealed record CorpusFile(ValidatedFile File, string FullPath);

/// <summary>
/// Real text that ships with Debian packages — licences, copyright files, READMEs, changelogs (gzip'd ones decompressed
/// as the validator decompresses <c>.gz</c>) — as a document set: the files the validator reads, in a fixed order.
/// Personal data found in it is mostly not there: it measures false positives on ordinary documentation.
/// </summary>
public static class DebianTextCorpus
{
    public static readonly string[] Roots = ["/usr/share/common-licenses", "/usr/share/doc"];

    /// <summary>Why the corpus cannot be read here, or null when it can.</summary>
    public static string? MissingReason()
    {
        var missing = Roots.Where(r => !Directory.Exists(r)).ToList();
        return missing.Count == 0 ? null : $"{string.Join(" and ", missing)} not on this machine (a Debian-based system ships them)";
    }

    /// <summary>Regular files the validator would read (by name), ordered by path, until either limit is reached.</summary>
    public static List<CorpusFile> Collect(int maxFiles, long maxBytes)
    {
        var files = new List<CorpusFile>();
        long bytes = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var root in Roots.Where(Directory.Exists))
        {
            var paths = Directory.EnumerateFiles(root, "*", options).Order(StringComparer.Ordinal);
            foreach (var fullPath in paths)
            {
                var info = new FileInfo(fullPath);
                var path = Path.GetFileName(root) + "/" + Path.GetRelativePath(root, fullPath).Replace('\\', '/');
                if (info.LinkTarget is not null || FileFormats.Of(path) == FileFormat.Opaque)
                    continue;
                if (files.Count >= maxFiles || bytes + info.Length > maxBytes)
                    return files;
                bytes += info.Length;
                files.Add(new CorpusFile(new ValidatedFile(path, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fullPath))), info.Length, null), fullPath));
            }
        }

        return files;
    }

    /// <summary>A validator that reads the corpus files from disk.</summary>
    public static VersionValidator Validator(ValidationRules rules, IReadOnlyList<CorpusFile> files)
    {
        var byPath = files.ToDictionary(f => f.File.Path, f => f.FullPath, StringComparer.Ordinal);
        return new VersionValidator(rules, (f, _) => Task.FromResult<Stream>(new FileStream(byPath[f.Path], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)));
    }
}
