using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// The change feed from one version to another (named by id, <c>artifact:vN</c>, <c>artifact:alias</c> or
    /// <c>artifact:digest</c>): every row added, changed or removed, read as the portal streams it, ending with the
    /// <see cref="ChangeOps.End"/> record and its <see cref="ChangeFeedSummary"/>. A stream cut off before the end
    /// record is resumed from the last record's cursor (up to <see cref="MaxRetries"/> times), so each record is
    /// yielded once. With <paramref name="rows"/> false the row bodies are left out.
    /// </summary>
    public async IAsyncEnumerable<ChangeRecord> ChangesAsync(
        string slug, string from, string to, string? keyColumn = null, bool rows = true, string? continuation = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var cursor = continuation;
        var resumes = 0;
        while (true)
        {
            var path = $"api/v1/projects/{Escape(slug)}/changes" + Query(
                ("from", from), ("to", to), ("key", keyColumn), ("rows", rows ? null : "false"), ("continuation", cursor));
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct)
                .ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(body);
            var ended = false;
            var cut = false;
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                {
                    cut = true;
                    break;
                }

                if (line is null)
                    break;
                if (line.Length == 0)
                    continue;
                ChangeRecord? record;
                try
                {
                    record = JsonSerializer.Deserialize<ChangeRecord>(line, Json);
                }
                catch (JsonException)
                {
                    // The last line of a cut stream may be incomplete: resume from the record before it.
                    cut = true;
                    break;
                }

                if (record is null)
                    continue;
                cursor = record.Cursor ?? cursor;
                yield return record;
                if (record.Op == ChangeOps.End)
                {
                    ended = true;
                    break;
                }
            }

            if (ended)
                yield break;
            if (++resumes > Math.Max(MaxRetries, 0))
                throw new PortalApiException(0, PortalApiException.ConnectionFailed,
                    cut ? "The change feed was cut off repeatedly; resume later with the last cursor." : "The change feed ended without its end record; resume later with the last cursor.");
        }
    }
}
