using System.Globalization;
using System.Security.Cryptography;
using Portal.Client.Models;

namespace Portal.Cli;

/// <summary>
/// <c>--ref [PATH=]URI</c> values turned into reference entries: the version records the URI with the SHA-256 and size
/// of its bytes, which are not uploaded. <c>file://</c> and <c>http(s)://</c> objects are read and hashed here; for any
/// other scheme (s3://, gs://, …) the caller states the checksum as <c>URI#sha256=HEX&amp;size=BYTES</c>.
/// </summary>
internal static class ReferenceEntries
{
    public static async Task<List<ManifestEntryModel>> ResolveAsync(IReadOnlyList<string> values, ProgressDisplay display, CancellationToken ct)
    {
        var entries = new List<ManifestEntryModel>();
        if (values.Count == 0)
            return entries;

        var step = display.Step("hashing references", values.Count, 0);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var (path, uri, digest, size) = Parse(value);
            if (digest is null)
                (digest, size) = await HashAsync(uri, http, ct);
            if (!seen.Add(path))
                throw CliException.Usage($"two --ref values use the path {path}; give one another path with PATH=URI.");
            entries.Add(new ManifestEntryModel(path, digest, size!.Value, uri.AbsoluteUri));
            step.FileDone();
        }
        step.Complete();
        return entries;
    }

    /// <summary>Splits <c>[PATH=]URI[#sha256=HEX&amp;size=N]</c>; the fragment is not part of the recorded URI.</summary>
    internal static (string Path, Uri Uri, string? Digest, long? Size) Parse(string value)
    {
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
            throw CliException.Usage($"--ref {value}: give a URI such as https://host/file.bin, file:///data/x.parquet or s3://bucket/key#sha256=HEX&size=BYTES.");
        var equals = value.LastIndexOf('=', schemeEnd);
        var path = equals > 0 ? value[..equals] : null;
        var text = equals > 0 ? value[(equals + 1)..] : value;

        string? digest = null;
        long? size = null;
        var hash = text.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            foreach (var part in text[(hash + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var pair = part.Split('=', 2);
                if (pair.Length == 2 && pair[0] == "sha256")
                    digest = pair[1].ToLowerInvariant();
                else if (pair.Length == 2 && pair[0] == "size" && long.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                    size = s;
                else
                    throw CliException.Usage($"--ref {value}: the fragment takes sha256=HEX and size=BYTES, not '{part}'.");
            }
            text = text[..hash];
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
            throw CliException.Usage($"--ref {value}: '{text}' is not an absolute URI.");
        if (uri.IsFile && !File.Exists(uri.LocalPath))
            throw new CliException($"--ref {value}: no such file {uri.LocalPath}.");
        if (digest is not null && (digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower)))
            throw CliException.Usage($"--ref {value}: sha256 must be 64 hexadecimal characters.");
        if ((digest is null) != (size is null))
            throw CliException.Usage($"--ref {value}: give both sha256=HEX and size=BYTES, or neither.");
        if (digest is null && !uri.IsFile && uri.Scheme is not ("http" or "https"))
            throw CliException.Usage($"--ref {value}: {uri.Scheme}:// objects cannot be read here; state their checksum: {text}#sha256=HEX&size=BYTES.");

        path ??= Uri.UnescapeDataString(uri.Segments.LastOrDefault()?.TrimEnd('/') ?? "");
        if (path.Length == 0)
            throw CliException.Usage($"--ref {value}: the URI names no file; give the path in the version as PATH={text}.");
        return (path, uri, digest, size);
    }

    private static async Task<(string Digest, long Size)> HashAsync(Uri uri, HttpClient http, CancellationToken ct)
    {
        if (uri.IsFile)
        {
            await using var file = new FileStream(uri.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var digest = await SHA256.HashDataAsync(file, ct);
            return (Convert.ToHexStringLower(digest), file.Length);
        }

        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new CliException($"--ref {uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}; the reference could not be hashed.");
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var counting = new CountingStream(body);
        var hash = await SHA256.HashDataAsync(counting, ct);
        return (Convert.ToHexStringLower(hash), counting.BytesRead);
    }

    /// <summary>Counts the bytes read through it (an HTTP body's length is not always announced).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
