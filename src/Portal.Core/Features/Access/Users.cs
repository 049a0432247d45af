using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Access;

/// <summary>Accounts: the signed-in user's own profile, and account management for site admins.</summary>
public sealed class Users(UserManager<PortalUser> userManager, IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock)
{
    public async Task<MeResponse> MeAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        var user = await CurrentAsync(principal, ct);
        return new MeResponse(user.Id, user.Email ?? "", user.DisplayName, user.IsSiteAdmin);
    }

    public async Task<PortalUser> CurrentAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        var id = ProjectAccess.UserId(principal) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, ct)
            ?? throw new PortalException(401, ErrorCodes.Unauthorized, "Your account no longer exists.");
    }

    public async Task<IReadOnlyList<UserResponse>> ListAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        await RequireSiteAdminAsync(principal, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        return users.Select(ToResponse).ToList();
    }

    public async Task<CreateUserResponse> CreateAsync(ClaimsPrincipal principal, CreateUserRequest request, CancellationToken ct = default)
    {
        var admin = await RequireSiteAdminAsync(principal, ct);
        var (user, generated) = await CreateUserAsync(request.Email, request.DisplayName, request.Password, request.IsSiteAdmin);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Record(clock.GetUtcNow(), admin.Id, null, "user.created", "user", user.Id, after: new { user.Email, user.IsSiteAdmin });
        await db.SaveChangesAsync(ct);
        return new CreateUserResponse(ToResponse(user), generated);
    }

    /// <summary>Creates an account; when no password is given a random one is generated and returned once.</summary>
    public async Task<(PortalUser User, string? GeneratedPassword)> CreateUserAsync(string? email, string? displayName, string? password, bool isSiteAdmin)
    {
        email = email?.Trim() ?? "";
        if (email.Length is 0 or > 256 || !email.Contains('@', StringComparison.Ordinal) || email.StartsWith('@') || email.EndsWith('@'))
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, $"'{email}' is not an e-mail address.");
        if (await userManager.FindByEmailAsync(email) is not null)
            throw PortalException.Conflict(ErrorCodes.ValidationFailed, $"An account for {email} already exists.");
        var generated = string.IsNullOrEmpty(password) ? GeneratePassword() : null;
        var user = new PortalUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Split('@')[0] : displayName.Trim(),
            IsSiteAdmin = isSiteAdmin,
            CreatedAt = clock.GetUtcNow(),
        };
        var result = await userManager.CreateAsync(user, password ?? generated!);
        if (!result.Succeeded)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, string.Join(" ", result.Errors.Select(e => e.Description)));
        return (user, generated);
    }

    /// <summary>
    /// Gives the account a new random password (returned once), lifts a lockout and ends its sign-in sessions. For the
    /// server's <c>reset-password</c> command, run by whoever holds the server's configuration: a site admin who lost
    /// the printed password gets back in this way.
    /// </summary>
    public async Task<string> ResetPasswordAsync(string email, CancellationToken ct = default)
    {
        var user = await userManager.FindByEmailAsync(email.Trim())
            ?? throw PortalException.NotFound(ErrorCodes.ValidationFailed, $"No account has the e-mail address '{email.Trim()}'.");
        var password = GeneratePassword();
        var token = await userManager.GeneratePasswordResetTokenAsync(user);
        var result = await userManager.ResetPasswordAsync(user, token, password);
        if (!result.Succeeded)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, string.Join(" ", result.Errors.Select(e => e.Description)));
        await userManager.SetLockoutEndDateAsync(user, null);
        await userManager.ResetAccessFailedCountAsync(user);
        await userManager.UpdateSecurityStampAsync(user);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Record(clock.GetUtcNow(), null, null, "user.password_reset", "user", user.Id, after: new { user.Email, by = "server command" });
        await db.SaveChangesAsync(ct);
        return password;
    }

    public static string GeneratePassword()
    {
        // Satisfies Identity's default rules (upper, lower, digit, symbol) with plenty of entropy.
        const string letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        return RandomNumberGenerator.GetString(letters, 16) + "-" + RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ", 1) +
               RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyz", 1) + RandomNumberGenerator.GetString("23456789", 2);
    }

    private async Task<PortalUser> RequireSiteAdminAsync(ClaimsPrincipal principal, CancellationToken ct)
    {
        var user = await CurrentAsync(principal, ct);
        return user.IsSiteAdmin ? user : throw PortalException.Forbidden("Only site admins manage accounts.");
    }

    private static UserResponse ToResponse(PortalUser u) => new(u.Id, u.Email ?? "", u.DisplayName, u.IsSiteAdmin, u.CreatedAt);
}
