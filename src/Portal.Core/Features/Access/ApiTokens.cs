using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Access;

/// <summary>Personal API tokens: created once, stored as SHA-256, looked up by hash, revocable.</summary>
public sealed class ApiTokens(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock)
{
    public const string TokenPrefix = "ptl_";
    private const int SecretLength = 40;
    private const int VisiblePrefixLength = 12;
    public const int MinimumConfiguredTokenLength = 32;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewSecret() => TokenPrefix + RandomNumberGenerator.GetString(Alphabet, SecretLength);

    /// <summary>Rejects configured tokens that are short or obviously not random (e.g. "aaaa…", "changeme").</summary>
    public static string? WhyTokenIsWeak(string token)
    {
        if (token.Length < MinimumConfiguredTokenLength)
            return $"it is {token.Length} characters long; use at least {MinimumConfiguredTokenLength} random characters";
        if (token.Distinct().Count() < 12)
            return "it repeats too few distinct characters to be random";
        if (token.Any(char.IsWhiteSpace))
            return "it contains white space";
        return null;
    }

    public async Task<CreateApiTokenResponse> CreateAsync(string userId, CreateApiTokenRequest request, CancellationToken ct = default)
    {
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > 100)
            throw PortalException.BadRequest(ErrorCodes.TokenNameInvalid, "A token needs a name of 1 to 100 characters, e.g. \"ci-pipeline\".");
        if (request.ExpiresInDays is < 1 or > 3650)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, "expiresInDays must be between 1 and 3650, or left out for a token that does not expire.");
        return await CreateWithSecretAsync(userId, name, NewSecret(), request.ExpiresInDays, ct);
    }

    /// <summary>Stores a token whose secret was chosen elsewhere (the bootstrap admin's configured token).</summary>
    public async Task<CreateApiTokenResponse> CreateWithSecretAsync(string userId, string name, string secret, int? expiresInDays, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var token = new ApiToken
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            Name = name,
            Prefix = secret[..Math.Min(VisiblePrefixLength, secret.Length)],
            Hash = Hash(secret),
            CreatedAt = now,
            ExpiresAt = expiresInDays is { } days ? now.AddDays(days) : null,
        };
        db.ApiTokens.Add(token);
        db.Record(now, userId, null, "token.created", "api_token", token.Id.ToString(), after: new { token.Name, token.Prefix });
        await db.SaveChangesAsync(ct);
        return new CreateApiTokenResponse(ToResponse(token), secret);
    }

    public async Task<bool> ExistsAsync(string secret, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = Hash(secret);
        return await db.ApiTokens.AnyAsync(t => t.Hash == hash, ct);
    }

    public async Task<IReadOnlyList<ApiTokenResponse>> ListAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tokens = await db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId).ToListAsync(ct);
        return tokens.OrderByDescending(t => t.CreatedAt).Select(ToResponse).ToList();
    }

    public async Task RevokeAsync(string userId, Guid tokenId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct)
            ?? throw PortalException.NotFound(ErrorCodes.TokenNotFound, $"You have no token with id {tokenId}.");
        if (token.RevokedAt is not null)
            return;
        var now = clock.GetUtcNow();
        token.RevokedAt = now;
        db.Record(now, userId, null, "token.revoked", "api_token", token.Id.ToString(), after: new { token.Name, token.Prefix });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The user a bearer secret belongs to, or null when it is unknown, revoked or expired.</summary>
    public async Task<PortalUser?> AuthenticateAsync(string secret, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 512)
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = Hash(secret);
        var now = clock.GetUtcNow();
        var token = await db.ApiTokens.Include(t => t.User).SingleOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null || token.RevokedAt is not null || (token.ExpiresAt is { } expires && expires <= now))
            return null;
        // Recording every use would turn each API read into a write; a minute's resolution is enough to audit.
        if (token.LastUsedAt is null || now - token.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }

        return token.User;
    }

    private static ApiTokenResponse ToResponse(ApiToken t) =>
        new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt);
}
