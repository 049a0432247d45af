using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using static Portal.Core.ValidatedOptions;

namespace Portal.Core.Features.Access;

public sealed class BootstrapOptions : IValidatedOptions
{
    public const string Section = "Portal:Bootstrap";

    public string AdminEmail { get; set; } = "admin@portal.local";

    /// <summary>When empty, a random password is generated and printed once.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>Optional API token for the bootstrap admin, so automation can drive a fresh portal.</summary>
    public string? AdminApiToken { get; set; }

    public IEnumerable<string> Problems()
    {
        if (!System.Net.Mail.MailAddress.TryCreate(AdminEmail, out _))
            yield return $"Portal:Bootstrap:AdminEmail must be an e-mail address such as admin@example.com (it is '{AdminEmail}').";
    }
}

public sealed record BootstrapResult(bool AdminCreated, string AdminEmail, string? GeneratedPassword);

/// <summary>First start on an empty database: creates the site admin (and its configured token).</summary>
public sealed class Bootstrap(
    IDbContextFactory<PortalDbContext> dbFactory,
    Users users,
    ApiTokens tokens,
    UserManager<PortalUser> userManager,
    ILogger<Bootstrap> logger)
{
    /// <summary>Fails fast on settings that would make the portal unsafe, before anything is written.</summary>
    public static void ValidateOptions(BootstrapOptions options)
    {
        if (!string.IsNullOrEmpty(options.AdminApiToken) && ApiTokens.WhyTokenIsWeak(options.AdminApiToken) is { } why)
        {
            throw new InvalidOperationException(
                $"Portal:Bootstrap:AdminApiToken is refused: {why}. Generate one with e.g. `openssl rand -hex 32`.");
        }
    }

    public async Task<BootstrapResult> RunAsync(BootstrapOptions options, CancellationToken ct = default)
    {
        ValidateOptions(options);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        PortalUser admin;
        string? generated = null;
        var created = false;
        if (!await db.Users.AnyAsync(ct))
        {
            (admin, generated) = await users.CreateUserAsync(options.AdminEmail, "Portal admin", options.AdminPassword, isSiteAdmin: true);
            created = true;
            logger.LogInformation("Created the site admin {Email}", admin.Email);
        }
        else
        {
            admin = await userManager.FindByEmailAsync(options.AdminEmail) ?? await db.Users.OrderBy(u => u.CreatedAt).FirstAsync(u => u.IsSiteAdmin, ct);
        }

        if (!string.IsNullOrEmpty(options.AdminApiToken) && !await tokens.ExistsAsync(options.AdminApiToken, ct))
        {
            await tokens.CreateWithSecretAsync(admin.Id, "bootstrap", options.AdminApiToken, expiresInDays: null, ct);
            logger.LogInformation("Registered the configured bootstrap API token for {Email}", admin.Email);
        }

        return new BootstrapResult(created, admin.Email ?? options.AdminEmail, generated);
    }
}
