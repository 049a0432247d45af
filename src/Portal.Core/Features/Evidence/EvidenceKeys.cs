using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Portal.Client.Evidence;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Evidence;

/// <summary>
/// The portal's evidence-signing keys: the first is made when the first pack is signed; rotation (site admins) retires
/// the active key and makes a new one; every public key stays listed.
/// </summary>
public sealed class EvidenceKeys(IDbContextFactory<PortalDbContext> dbFactory, IDataProtectionProvider protection, Users users, TimeProvider clock)
{
    private const string Purpose = "Portal.Evidence.SigningKey.v1";

    public async Task<EvidenceKeysResponse> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.EvidenceSigningKeys.AsNoTracking().ToListAsync(ct);
        return new EvidenceKeysResponse(keys.OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).Select(ToResponse).ToList());
    }

    /// <summary>Retires the active key and creates a new one; older packs still verify with the retired public key.</summary>
    public async Task<EvidenceKeyResponse> RotateAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var me = await users.CurrentAsync(user, ct);
        if (!me.IsSiteAdmin)
            throw PortalException.Forbidden("Only site admins rotate the evidence-signing key.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var active = await db.EvidenceSigningKeys.Where(k => k.RetiredAt == null).ToListAsync(ct);
        foreach (var key in active)
            key.RetiredAt = now;
        var created = NewKey(now);
        db.EvidenceSigningKeys.Add(created);
        db.Record(now, me.Id, null, "evidence_key.rotated", "evidence_key", created.Id,
            before: new { keyIds = active.Select(k => k.Id).ToList() }, after: new { keyId = created.Id });
        await db.SaveChangesAsync(ct);
        return ToResponse(created);
    }

    /// <summary>Signs <paramref name="content"/> with the active key (created on first use).</summary>
    internal async Task<EvidenceSignature> SignAsync(byte[] content, CancellationToken ct)
    {
        var key = await ActiveAsync(ct);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(protection.CreateProtector(Purpose).Unprotect(Convert.FromBase64String(key.ProtectedPrivateKey)), out _);
        var signature = ecdsa.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new EvidenceSignature(EvidencePackFiles.Format, EvidencePackFiles.Algorithm, key.Id, key.PublicKey, EvidencePackFiles.Checksums,
            Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToBase64String(signature), clock.GetUtcNow());
    }

    private async Task<EvidenceSigningKey> ActiveAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await NewestActiveAsync(db, ct);
        if (key is not null)
            return key;
        db.EvidenceSigningKeys.Add(NewKey(clock.GetUtcNow()));
        await db.SaveChangesAsync(ct);
        // Two first exports at once may each add a key; both stay valid and listed, and both then sign with the same one.
        return (await NewestActiveAsync(db, ct))!;
    }

    private static async Task<EvidenceSigningKey?> NewestActiveAsync(PortalDbContext db, CancellationToken ct)
    {
        var keys = await db.EvidenceSigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).ToListAsync(ct);
        return keys.OrderByDescending(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).FirstOrDefault();
    }

    private EvidenceSigningKey NewKey(DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = ecdsa.ExportSubjectPublicKeyInfo();
        return new EvidenceSigningKey
        {
            Id = EvidenceVerifier.KeyId(spki),
            Algorithm = EvidencePackFiles.Algorithm,
            PublicKey = Convert.ToBase64String(spki),
            ProtectedPrivateKey = Convert.ToBase64String(protection.CreateProtector(Purpose).Protect(ecdsa.ExportPkcs8PrivateKey())),
            CreatedAt = now,
        };
    }

    private static EvidenceKeyResponse ToResponse(EvidenceSigningKey k) => new(k.Id, k.Algorithm, k.PublicKey, k.CreatedAt, k.RetiredAt);
}
