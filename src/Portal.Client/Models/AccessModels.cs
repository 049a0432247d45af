namespace Portal.Client.Models;

/// <summary>The account the request is authenticated as.</summary>
public sealed record MeResponse(string Id, string Email, string DisplayName, bool IsSiteAdmin);

/// <summary>
/// An antiforgery token for API writes authenticated by the sign-in cookie (scripts in a signed-in browser page): send
/// <paramref name="Token"/> in the <paramref name="HeaderName"/> header. Calls with an API token need none.
/// </summary>
public sealed record AntiforgeryTokenResponse(string HeaderName, string Token);

/// <summary>An account of the portal.</summary>
public sealed record UserResponse(string Id, string Email, string DisplayName, bool IsSiteAdmin, DateTimeOffset CreatedAt);

/// <summary>Creates an account (site admins); without a password one is generated.</summary>
public sealed record CreateUserRequest(string Email, string DisplayName, string? Password = null, bool IsSiteAdmin = false);

/// <summary>Returned once when a user is created without a password: the generated one is never shown again.</summary>
public sealed record CreateUserResponse(UserResponse User, string? GeneratedPassword);

/// <summary>A personal API token as listed: its name, prefix and dates, never the secret.</summary>
public sealed record ApiTokenResponse(
    Guid Id,
    string Name,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);

/// <summary>Creates a personal API token; without ExpiresInDays it does not expire.</summary>
public sealed record CreateApiTokenRequest(string Name, int? ExpiresInDays = null);

/// <summary>The only time the secret is shown.</summary>
public sealed record CreateApiTokenResponse(ApiTokenResponse Token, string Secret);
