using System.Globalization;
using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    /// <summary>
    /// Downloads a signed evidence pack (zip) into <paramref name="destination"/>: name <paramref name="version"/>
    /// (<c>artifact:vN</c>, an alias or id after the colon) or <paramref name="alias"/> (<c>artifact:alias</c>) at
    /// <paramref name="at"/> (now when null). Check it offline with <see cref="Evidence.EvidenceVerifier"/>.
    /// </summary>
    public async Task ExportEvidenceAsync(string slug, Stream destination, string? version = null, string? alias = null, DateTimeOffset? at = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var path = $"api/v1/projects/{Escape(slug)}/evidence" + Query(("version", version), ("alias", alias),
            ("at", at?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), idempotent: true, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await body.CopyToAsync(destination, ct).ConfigureAwait(false);
    }

    /// <summary>Writes the evidence pack to <paramref name="file"/> (replaced when it exists).</summary>
    public async Task ExportEvidenceToFileAsync(string slug, string file, string? version = null, string? alias = null, DateTimeOffset? at = null, CancellationToken ct = default)
    {
        var partial = file + ".partial";
        await using (var stream = File.Create(partial))
            await ExportEvidenceAsync(slug, stream, version, alias, at, ct).ConfigureAwait(false);
        File.Move(partial, file, overwrite: true);
    }

    /// <summary>Every public key the portal has signed evidence packs with (retired ones included).</summary>
    public Task<EvidenceKeysResponse> GetEvidenceKeysAsync(CancellationToken ct = default) =>
        GetAsync<EvidenceKeysResponse>("api/v1/admin/evidence-keys", ct);

    /// <summary>Retires the active evidence-signing key and makes a new one (site admins).</summary>
    public Task<EvidenceKeyResponse> RotateEvidenceKeyAsync(CancellationToken ct = default) =>
        PostAsync<EvidenceKeyResponse>("api/v1/admin/evidence-keys/rotate", null, ct);
}
