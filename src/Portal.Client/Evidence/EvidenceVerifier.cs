using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Client.Manifests;
using Portal.Client.Models;

namespace Portal.Client.Evidence;

/// <summary>
/// Checks an evidence pack offline and gives a verdict per claim: the signature (with a pinned public key, or the one
/// embedded in the pack), the checksum of every file, each audit record's hash and the links between consecutive
/// records, the chain head, each manifest against its recorded digest and file count, and that every approval a
/// promotion lists is backed by an audit record and every approval record by a listed approval.
/// </summary>
public static class EvidenceVerifier
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<EvidenceVerdict> VerifyFileAsync(string path, IReadOnlyList<EvidenceKeyResponse>? trustedKeys = null, CancellationToken ct = default)
    {
        await using var file = File.OpenRead(path);
        return await VerifyAsync(file, trustedKeys, ct).ConfigureAwait(false);
    }

    /// <param name="trustedKeys">Keys to accept (from the portal's well-known URL or a file); null trusts the key in the pack.</param>
    public static async Task<EvidenceVerdict> VerifyAsync(Stream pack, IReadOnlyList<EvidenceKeyResponse>? trustedKeys = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var claims = new List<EvidenceClaim>();
        Dictionary<string, byte[]> files;
        try
        {
            files = await ReadAllAsync(pack, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            return new EvidenceVerdict([new EvidenceClaim("pack", false, $"The file is not a readable zip: {e.Message}")]);
        }

        claims.Add(CheckSignature(files, trustedKeys));
        claims.Add(CheckChecksums(files));

        EvidenceDocument? evidence = null;
        EvidenceAuditFile? audit = null;
        try
        {
            evidence = files.TryGetValue(EvidencePackFiles.Evidence, out var e) ? JsonSerializer.Deserialize<EvidenceDocument>(e, Json) : null;
            audit = files.TryGetValue(EvidencePackFiles.Audit, out var a) ? JsonSerializer.Deserialize<EvidenceAuditFile>(a, Json) : null;
        }
        catch (JsonException e)
        {
            claims.Add(new EvidenceClaim("documents", false, $"evidence.json or audit.json is not valid: {e.Message}"));
        }

        if (audit is null)
            claims.Add(new EvidenceClaim("audit.records", false, "The pack has no audit.json."));
        else
            claims.AddRange(CheckAudit(audit));

        if (evidence is null)
        {
            claims.Add(new EvidenceClaim("evidence", false, "The pack has no evidence.json."));
            return new EvidenceVerdict(claims);
        }

        foreach (var version in evidence.Versions.Where(v => v.Redacted != true && v.Manifest is not null))
            claims.Add(CheckManifest(files, version));
        if (audit is not null)
            claims.Add(CheckApprovals(evidence, audit));
        return new EvidenceVerdict(claims);
    }

    /// <summary>The key id of a public key: the first 16 hex digits of SHA-256 over its SubjectPublicKeyInfo.</summary>
    public static string KeyId(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..16];

    /// <summary>
    /// Reads public keys from the portal's well-known JSON, a PEM <c>PUBLIC KEY</c> block, or base64 SubjectPublicKeyInfo.
    /// </summary>
    public static IReadOnlyList<EvidenceKeyResponse> ParsePublicKeys(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith('{'))
        {
            var keys = JsonSerializer.Deserialize<EvidenceKeysResponse>(trimmed, Json)?.Keys
                ?? throw new FormatException("The JSON has no \"keys\" list.");
            return keys;
        }

        byte[] spki;
        if (trimmed.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(trimmed);
            spki = key.ExportSubjectPublicKeyInfo();
        }
        else
        {
            spki = Convert.FromBase64String(trimmed);
        }
        return [new EvidenceKeyResponse(KeyId(spki), EvidencePackFiles.Algorithm, Convert.ToBase64String(spki), DateTimeOffset.MinValue, null)];
    }

    private static async Task<Dictionary<string, byte[]>> ReadAllAsync(Stream pack, CancellationToken ct)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var zip = new ZipArchive(pack, ZipArchiveMode.Read, leaveOpen: true);
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/'))
                continue;
            await using var stream = entry.Open();
            using var buffer = new MemoryStream(entry.Length > 0 && entry.Length < int.MaxValue ? (int)entry.Length : 0);
            await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
            files[entry.FullName] = buffer.ToArray();
        }
        return files;
    }

    private static EvidenceClaim CheckSignature(Dictionary<string, byte[]> files, IReadOnlyList<EvidenceKeyResponse>? trustedKeys)
    {
        const string name = "signature";
        if (!files.TryGetValue(EvidencePackFiles.Signature, out var signatureBytes))
            return new EvidenceClaim(name, false, "The pack has no signature.json.");
        if (!files.TryGetValue(EvidencePackFiles.Checksums, out var checksums))
            return new EvidenceClaim(name, false, "The pack has no checksums.sha256, the file the signature covers.");
        EvidenceSignature? signature;
        try
        {
            signature = JsonSerializer.Deserialize<EvidenceSignature>(signatureBytes, Json);
        }
        catch (JsonException e)
        {
            return new EvidenceClaim(name, false, $"signature.json is not valid: {e.Message}");
        }
        if (signature is null || signature.Algorithm != EvidencePackFiles.Algorithm)
            return new EvidenceClaim(name, false, $"The signature's algorithm is not {EvidencePackFiles.Algorithm}.");
        var digest = Convert.ToHexStringLower(SHA256.HashData(checksums));
        if (!string.Equals(digest, signature.SignedDigest, StringComparison.Ordinal))
            return new EvidenceClaim(name, false, $"checksums.sha256 hashes to {digest}, not to the signed digest {signature.SignedDigest}: it changed after signing.");

        string publicKey;
        string source;
        if (trustedKeys is null)
        {
            publicKey = signature.PublicKey;
            source = "the key embedded in the pack (pin the portal's key with a public key to trust it)";
        }
        else
        {
            var key = trustedKeys.FirstOrDefault(k => string.Equals(k.KeyId, signature.KeyId, StringComparison.Ordinal));
            if (key is null)
            {
                return new EvidenceClaim(name, false,
                    $"The pack was signed with key {signature.KeyId}, which is not among the given public keys ({string.Join(", ", trustedKeys.Select(k => k.KeyId))}).");
            }
            publicKey = key.PublicKey;
            source = "the given public key";
        }

        try
        {
            var spki = Convert.FromBase64String(publicKey);
            if (!string.Equals(KeyId(spki), signature.KeyId, StringComparison.Ordinal))
                return new EvidenceClaim(name, false, $"The public key does not have the signature's key id {signature.KeyId}.");
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
            var valid = ecdsa.VerifyData(checksums, Convert.FromBase64String(signature.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return valid
                ? new EvidenceClaim(name, true, $"Signed by key {signature.KeyId} at {signature.SignedAt:u}; checked with {source}.")
                : new EvidenceClaim(name, false, $"The signature does not verify with key {signature.KeyId}: the signature was replaced or the checksums changed.");
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return new EvidenceClaim(name, false, $"The signature or public key cannot be read: {e.Message}");
        }
    }

    private static EvidenceClaim CheckChecksums(Dictionary<string, byte[]> files)
    {
        const string name = "checksums";
        if (!files.TryGetValue(EvidencePackFiles.Checksums, out var checksums))
            return new EvidenceClaim(name, false, "The pack has no checksums.sha256.");
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(checksums).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf("  ", StringComparison.Ordinal);
            if (space != 64)
                return new EvidenceClaim(name, false, $"checksums.sha256 has a line that is not \"<sha256>  <file>\": {line}");
            listed[line[(space + 2)..]] = line[..space];
        }

        var problems = new List<string>();
        foreach (var (file, bytes) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (file is EvidencePackFiles.Checksums or EvidencePackFiles.Signature)
                continue;
            if (!listed.Remove(file, out var expected))
                problems.Add($"{file} is not listed");
            else if (!string.Equals(expected, Convert.ToHexStringLower(SHA256.HashData(bytes)), StringComparison.Ordinal))
                problems.Add($"{file} was changed");
        }
        problems.AddRange(listed.Keys.Select(f => $"{f} is missing"));
        return problems.Count == 0
            ? new EvidenceClaim(name, true, $"{files.Count - 2} files match their SHA-256.")
            : new EvidenceClaim(name, false, string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $"; and {problems.Count - 10} more" : "") + ".");
    }

    private static IEnumerable<EvidenceClaim> CheckAudit(EvidenceAuditFile audit)
    {
        var records = audit.Records.OrderBy(r => r.Sequence).ToList();
        var problems = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var hash = AuditRecordHash.Compute(r.PreviousHash, r.Sequence, r.ProjectId, r.ActorId, r.Action, r.TargetType, r.TargetId, r.Before, r.After, r.At);
            if (!string.Equals(hash, r.Hash, StringComparison.Ordinal))
                problems.Add($"record {r.Sequence} ({r.Action}) does not match its hash: its content was changed");
            if (i > 0 && records[i - 1].Sequence == r.Sequence)
                problems.Add($"record {r.Sequence} appears twice");
            else if (i > 0 && records[i - 1].Sequence == r.Sequence - 1 && !string.Equals(records[i - 1].Hash, r.PreviousHash, StringComparison.Ordinal))
                problems.Add($"record {r.Sequence} does not link to record {r.Sequence - 1}");
        }
        yield return problems.Count == 0
            ? new EvidenceClaim("audit.records", true, $"{records.Count} audit records match their hashes; consecutive records link.")
            : new EvidenceClaim("audit.records", false, string.Join("; ", problems.Take(10)) + ".");

        var head = audit.ChainHead;
        var last = records.Count > 0 ? records[^1] : null;
        if (last is not null && last.Sequence > head.Sequence)
            yield return new EvidenceClaim("audit.head", false, $"Record {last.Sequence} is beyond the chain head {head.Sequence} recorded at export.");
        else if (last is not null && last.Sequence == head.Sequence && !string.Equals(last.Hash, head.Hash, StringComparison.Ordinal))
            yield return new EvidenceClaim("audit.head", false, $"Record {last.Sequence} is the chain head but its hash differs from the head's {head.Hash}.");
        else
            yield return new EvidenceClaim("audit.head", true, $"Chain head at export: record {head.Sequence}, {head.Hash}.");
    }

    private static EvidenceClaim CheckManifest(Dictionary<string, byte[]> files, EvidenceVersion version)
    {
        var name = $"manifest:{version.Artifact}:{version.Version}";
        if (!files.TryGetValue(version.Manifest!, out var bytes))
            return new EvidenceClaim(name, false, $"{version.Manifest} is missing.");
        var entries = new List<ManifestEntryModel>();
        var lineNumber = 0;
        try
        {
            foreach (var line in new Utf8Lines(bytes))
            {
                lineNumber++;
                if (line.Length == 0)
                    continue;
                entries.Add(JsonSerializer.Deserialize<ManifestEntryModel>(line.Span, Json) ?? throw new JsonException("null"));
            }
            var digest = ManifestAlgorithm.ComputeManifestDigest(entries);
            if (!string.Equals(digest, version.ManifestDigest, StringComparison.Ordinal))
                return new EvidenceClaim(name, false, $"{version.Manifest} hashes to {digest}, not to the recorded manifest digest {version.ManifestDigest}: a line was changed, added or removed.");
            if (entries.Count != version.FileCount)
                return new EvidenceClaim(name, false, $"{version.Manifest} lists {entries.Count} files; the version records {version.FileCount}.");
            return new EvidenceClaim(name, true, $"{entries.Count} files hash to the manifest digest {digest}.");
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return new EvidenceClaim(name, false, $"{version.Manifest} line {lineNumber} cannot be read: {e.Message}");
        }
    }

    private static EvidenceClaim CheckApprovals(EvidenceDocument evidence, EvidenceAuditFile audit)
    {
        const string name = "approvals";
        var recorded = audit.Records.Where(r => r.Action == "promotion.approved")
            .GroupBy(r => r.TargetId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.ActorId ?? "").ToList(), StringComparer.Ordinal);
        var problems = new List<string>();
        var count = 0;
        foreach (var promotion in evidence.Promotions)
        {
            var id = promotion.Id.ToString("D");
            var actors = recorded.GetValueOrDefault(id) ?? [];
            foreach (var approval in promotion.Approvals)
            {
                count++;
                if (!actors.Remove(approval.UserId))
                    problems.Add($"promotion {id} lists an approval by {approval.User} that no audit record backs");
            }
            foreach (var actor in actors)
                problems.Add($"promotion {id} of {promotion.Artifact}:{promotion.Alias} lacks the approval by user {actor} that the audit log records");
        }
        var promotionIds = evidence.Promotions.Select(p => p.Id.ToString("D")).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in recorded.Keys.Where(k => !promotionIds.Contains(k)))
            problems.Add($"the audit log records approvals of promotion {missing}, which the pack does not list");
        return problems.Count == 0
            ? new EvidenceClaim(name, true, $"{count} approvals of {evidence.Promotions.Count} promotions are backed by audit records.")
            : new EvidenceClaim(name, false, string.Join("; ", problems.Take(10)) + ".");
    }

    /// <summary>Splits UTF-8 bytes at '\n' without copying (a trailing '\r' is dropped).</summary>
    private readonly struct Utf8Lines(byte[] bytes)
    {
        public IEnumerator<ReadOnlyMemory<byte>> GetEnumerator()
        {
            var start = 0;
            while (start < bytes.Length)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', start);
                if (end < 0)
                    end = bytes.Length;
                var length = end - start;
                if (length > 0 && bytes[end - 1] == (byte)'\r')
                    length--;
                yield return new ReadOnlyMemory<byte>(bytes, start, length);
                start = end + 1;
            }
        }
    }
}
