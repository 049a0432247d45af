using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    private static string EvaluationsPath(string slug) => $"api/v1/projects/{Escape(slug)}/evaluations";

    /// <summary>
    /// Logs a finished evaluation: the header, then the rows streamed as NDJSON (never held whole in memory). The
    /// rows are enumerated once; the call is not retried, since a second enumeration may not give the same rows.
    /// </summary>
    public Task<EvaluationResponse> LogEvaluationAsync(string slug, EvaluationHeader header, IAsyncEnumerable<EvaluationRow> rows, CancellationToken ct = default) =>
        SendForAsync<EvaluationResponse>(
            () => new HttpRequestMessage(HttpMethod.Post, EvaluationsPath(slug)) { Content = new EvaluationNdjsonContent(header, rows) },
            idempotent: false, ct);

    /// <summary>The same for rows already in memory.</summary>
    public Task<EvaluationResponse> LogEvaluationAsync(string slug, EvaluationHeader header, IEnumerable<EvaluationRow> rows, CancellationToken ct = default) =>
        LogEvaluationAsync(slug, header, ToAsync(rows), ct);

    /// <summary>
    /// Logs an NDJSON file of rows (one <see cref="EvaluationRow"/> per line, as a pipeline writes them): its lines are
    /// sent as they are after the header, so the server checks them and names a bad line by its number in the file
    /// (the header is line 1, so the file's line n is reported as n + 1).
    /// </summary>
    public Task<EvaluationResponse> LogEvaluationFileAsync(string slug, EvaluationHeader header, string path, CancellationToken ct = default) =>
        SendForAsync<EvaluationResponse>(
            () => new HttpRequestMessage(HttpMethod.Post, EvaluationsPath(slug)) { Content = new EvaluationFileContent(header, path) },
            idempotent: false, ct);

    public Task<IReadOnlyList<EvaluationResponse>> ListEvaluationsAsync(string slug, string? subject = null, string? evalSet = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<EvaluationResponse>>(EvaluationsPath(slug) + Query(("subject", subject), ("evalSet", evalSet), ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);

    public Task<EvaluationResponse> GetEvaluationAsync(string slug, Guid id, CancellationToken ct = default) =>
        GetAsync<EvaluationResponse>($"{EvaluationsPath(slug)}/{id}", ct);

    /// <summary>The stored rows, in example-id order.</summary>
    public async IAsyncEnumerable<EvaluationRow> GetEvaluationRowsAsync(string slug, Guid id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{EvaluationsPath(slug)}/{id}/rows"), idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
                yield return JsonSerializer.Deserialize<EvaluationRow>(line, Json)!;
        }
    }

    public Task<EvaluationExampleComparison> CompareEvaluationExamplesAsync(string slug, Guid before, Guid after, string? metric = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<EvaluationExampleComparison>($"{EvaluationsPath(slug)}/compare" + Query(("before", before.ToString()), ("after", after.ToString()), ("metric", metric),
            ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);

    public Task<EvaluationAttributionResponse> AttributeEvaluationChangeAsync(string slug, Guid before, Guid after, string? metric = null, CancellationToken ct = default) =>
        GetAsync<EvaluationAttributionResponse>($"{EvaluationsPath(slug)}/attribution" + Query(("before", before.ToString()), ("after", after.ToString()), ("metric", metric)), ct);

    public Task<EvaluationMatrixResponse> GetEvaluationMatrixAsync(string slug, string artifact, string? metric = null, CancellationToken ct = default) =>
        GetAsync<EvaluationMatrixResponse>(ArtifactPath(slug, artifact) + "/evaluation-matrix" + Query(("metric", metric)), ct);

    private static async IAsyncEnumerable<EvaluationRow> ToAsync(IEnumerable<EvaluationRow> rows)
    {
        foreach (var row in rows)
            yield return row;
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static readonly MediaTypeHeaderValue NdjsonType = new("application/x-ndjson");

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    /// <summary>The header line, then one line per row, serialised as the request body is sent.</summary>
    private sealed class EvaluationNdjsonContent : HttpContent
    {
        private readonly EvaluationHeader _header;
        private readonly IAsyncEnumerable<EvaluationRow> _rows;

        public EvaluationNdjsonContent(EvaluationHeader header, IAsyncEnumerable<EvaluationRow> rows)
        {
            (_header, _rows) = (header, rows);
            Headers.ContentType = NdjsonType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var writer = new Utf8JsonWriter(stream);
            JsonSerializer.Serialize(writer, _header, Json);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
            var count = 0;
            await foreach (var row in _rows.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                writer.Reset();
                JsonSerializer.Serialize(writer, row, Json);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
                if (++count % 4096 == 0)
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>The header line, then the file's bytes as they are.</summary>
    private sealed class EvaluationFileContent : HttpContent
    {
        private readonly EvaluationHeader _header;
        private readonly string _path;

        public EvaluationFileContent(EvaluationHeader header, string path)
        {
            (_header, _path) = (header, path);
            Headers.ContentType = NdjsonType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(_header, Json), cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
            await using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            // A byte-order mark would start the second line of the body, where the server does not expect one.
            var bom = new byte[3];
            var read = await file.ReadAtLeastAsync(bom, 3, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (!(read == 3 && bom[0] == 0xEF && bom[1] == 0xBB && bom[2] == 0xBF))
                await stream.WriteAsync(bom.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            await file.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
