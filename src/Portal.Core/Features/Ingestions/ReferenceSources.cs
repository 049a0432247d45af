using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts.Manifests;
using Portal.Core.Net;

namespace Portal.Core.Features.Ingestions;

/// <summary>
/// Reads the objects <c>file://</c> and <c>https://</c> references point at, with the guards a server reading URLs
/// for its users needs: file references only under the configured roots (after resolving symlinks, so a link cannot
/// lead out), https only (http when configured), no redirect off https, no connection to loopback or private
/// addresses (checked on the address actually connected to, so DNS answers cannot be swapped in between), time-outs and
/// a size cap.
/// </summary>
public sealed class ReferenceSources(IOptions<IngestionOptions> options, IHttpClientFactory httpClients)
{
    public const string HttpClientName = "portal-ingestion";

    private const int MaxLinkHops = 40;

    private IngestionOptions Options => options.Value;

    /// <summary>An opened reference: its bytes, and their length when the source says it up front.</summary>
    public sealed record OpenedReference(Stream Content, long? Length) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Content.DisposeAsync();
    }

    /// <summary>Checks a reference when it is submitted, so an obvious refusal is a 400 and not a failed job.</summary>
    public void Check(IngestionReference reference, int position)
    {
        ManifestPath.Validate(reference.Path);
        var uri = Parse(reference.Uri, reference.Path, position);
        if (uri.IsFile)
            ResolveAllowedFile(uri);
    }

    public async Task<OpenedReference> OpenAsync(string reference, CancellationToken ct)
    {
        var uri = Parse(reference, null, null);
        if (uri.IsFile)
        {
            var path = ResolveAllowedFile(uri);
            try
            {
                var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });
                return new OpenedReference(stream, stream.Length);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                throw NotFound(reference, "the file does not exist or cannot be read");
            }
        }

        return await FetchAsync(uri, ct);
    }

    private Uri Parse(string? reference, string? path, int? position)
    {
        var where = path is null ? "" : $"Entry {ManifestPath.Display(path)}: ";
        if (string.IsNullOrWhiteSpace(reference) || !Uri.TryCreate(reference, UriKind.Absolute, out var uri) || !reference.Contains("://", StringComparison.Ordinal))
        {
            throw PortalException.BadRequest(ErrorCodes.ReferenceInvalid, $"{where}\"{reference}\" is not an absolute file://, https:// URI.",
                new Dictionary<string, object?> { ["uri"] = reference, ["position"] = position });
        }
        var allowed = uri.Scheme == Uri.UriSchemeFile || uri.Scheme == Uri.UriSchemeHttps || (Options.AllowHttp && uri.Scheme == Uri.UriSchemeHttp);
        if (!allowed)
        {
            throw NotAllowed(reference, uri.Scheme == Uri.UriSchemeHttp
                ? "plain http is not allowed; use https"
                : $"the scheme '{uri.Scheme}' cannot be read by the server; use file:// or https://");
        }
        if (uri.IsFile && !(string.IsNullOrEmpty(uri.Host) || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
            throw NotAllowed(reference, "file references to other hosts are not allowed");
        return uri;
    }

    /// <summary>The file's real path (every symlink resolved) when it lies under an allowed root; else <c>reference_not_allowed</c>.</summary>
    private string ResolveAllowedFile(Uri uri)
    {
        var reference = uri.OriginalString;
        if (Options.AllowedFileRoots.Count == 0)
            throw NotAllowed(reference, "this portal allows no file:// references (Ingestion:AllowedFileRoots is empty)");
        string real;
        try
        {
            real = RealPath(uri.LocalPath);
        }
        catch (IOException ex)
        {
            throw NotAllowed(reference, "its path cannot be resolved: " + ex.Message);
        }
        foreach (var configured in Options.AllowedFileRoots)
        {
            var root = RealPath(configured);
            var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
            if (real.StartsWith(prefix, StringComparison.Ordinal))
                return real;
        }
        throw NotAllowed(reference, "it is not under a folder this portal allows (Ingestion:AllowedFileRoots), once '..' and symlinks are resolved");
    }

    /// <summary>
    /// The absolute path with every symlink along it resolved, component by component (a missing tail is kept as
    /// written). <see cref="Path.GetFullPath(string)"/> alone only removes <c>..</c> lexically and follows no link.
    /// </summary>
    internal static string RealPath(string path)
    {
        var pending = new Stack<string>();
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? Path.DirectorySeparatorChar.ToString();
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            pending.Push(part);
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var candidate = Path.Combine(current, part);
            var target = new FileInfo(candidate).LinkTarget;
            if (target is null)
            {
                current = candidate;
                continue;
            }
            if (++hops > MaxLinkHops)
                throw new IOException($"too many levels of symbolic links at {candidate}");
            var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            var resolvedRoot = Path.GetPathRoot(resolved) ?? root;
            foreach (var p in resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                pending.Push(p);
            current = resolvedRoot;
        }
        return current;
    }

    private async Task<OpenedReference> FetchAsync(Uri uri, CancellationToken ct)
    {
        var reference = uri.OriginalString;
        var client = httpClients.CreateClient(HttpClientName);
        var current = uri;
        for (var redirects = 0; ; redirects++)
        {
            using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headersTimeout.CancelAfter(Options.FetchHeadersTimeout);
            HttpResponseMessage response;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw FetchFailed(reference, $"no answer within {Options.FetchHeadersTimeout.TotalSeconds:0} s");
            }
            catch (HttpRequestException ex)
            {
                if (NonPublicAddressException.FindIn(ex) is { } refused)
                    throw NotAllowed(reference, refused.Message);
                throw FetchFailed(reference, ex.Message);
            }

            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (redirects >= Options.MaxRedirects)
                    throw FetchFailed(reference, $"more than {Options.MaxRedirects} redirects");
                var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                if (!(next.Scheme == Uri.UriSchemeHttps || (Options.AllowHttp && next.Scheme == Uri.UriSchemeHttp)))
                    throw NotAllowed(reference, $"it redirects to {next.Scheme}://, and only https is followed");
                current = next;
                continue;
            }
            if (status == 404 || status == 410)
            {
                response.Dispose();
                throw NotFound(reference, $"the server answered {status}");
            }
            if (status is < 200 or >= 300)
            {
                response.Dispose();
                throw FetchFailed(reference, $"the server answered {status} {response.ReasonPhrase}");
            }
            var length = response.Content.Headers.ContentLength;
            if (length > Options.MaxFetchBytes)
            {
                response.Dispose();
                throw TooLarge(reference, Options.MaxFetchBytes);
            }
            var body = await response.Content.ReadAsStreamAsync(ct);
            return new OpenedReference(new GuardedFetchStream(response, body, reference, Options.MaxFetchBytes, Options.FetchIdleTimeout), length);
        }
    }

    internal static PortalException NotAllowed(string reference, string why) =>
        PortalException.BadRequest(ErrorCodes.ReferenceNotAllowed, $"Reference \"{reference}\" is not allowed: {why}.", new Dictionary<string, object?> { ["uri"] = reference });

    private static PortalException NotFound(string reference, string why) =>
        new(422, ErrorCodes.ReferenceNotFound, $"Reference \"{reference}\" cannot be read: {why}.", new Dictionary<string, object?> { ["uri"] = reference });

    private static PortalException FetchFailed(string reference, string why) =>
        new(502, ErrorCodes.ReferenceFetchFailed, $"Reference \"{reference}\" could not be fetched: {why}.", new Dictionary<string, object?> { ["uri"] = reference });

    internal static PortalException TooLarge(string reference, long limit) =>
        new(413, ErrorCodes.ReferenceTooLarge, $"Reference \"{reference}\" is larger than the limit of {limit:N0} bytes (Ingestion:MaxFetchBytes).", new Dictionary<string, object?> { ["uri"] = reference });

    /// <summary>A response body that stops at the size cap and when no byte arrives within the idle time-out.</summary>
    private sealed class GuardedFetchStream(HttpResponseMessage response, Stream inner, string reference, long maxBytes, TimeSpan idleTimeout) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(idleTimeout);
            int n;
            try
            {
                n = await inner.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw FetchFailed(reference, $"no data for {idleTimeout.TotalSeconds:0} s");
            }
            catch (HttpIOException ex)
            {
                throw FetchFailed(reference, ex.Message);
            }
            _read += n;
            if (_read > maxBytes)
                throw TooLarge(reference, maxBytes);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
