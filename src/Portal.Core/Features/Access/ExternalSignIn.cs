using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Client;
using Portal.Core.Data;
using Portal.Core.Features.Auditing;

namespace Portal.Core.Features.Access;

/// <summary>Who the identity provider says signed in: the issuer and subject identify them for good.</summary>
public sealed record ExternalIdentity(
    string Issuer,
    string Subject,
    string? Email,
    bool EmailVerified,
    string? Name,
    IReadOnlyCollection<string> Groups,
    string ProviderDisplayName);

/// <summary>
/// What the role mappings say for a set of groups. <see cref="SiteAdmin"/> is null when no mapping speaks of site
/// admins (then the flag is left alone); <see cref="Projects"/> holds every mapped project slug, with null for
/// "no mapped group of this user gives a role here".
/// </summary>
public sealed record MappedAccess(bool? SiteAdmin, IReadOnlyDictionary<string, ProjectRole?> Projects)
{
    public static MappedAccess For(IEnumerable<OidcRoleMapping> mappings, IEnumerable<string> groups)
    {
        var member = new HashSet<string>(groups, StringComparer.OrdinalIgnoreCase);
        bool? siteAdmin = null;
        var projects = new Dictionary<string, ProjectRole?>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in mappings)
        {
            var applies = member.Contains(m.Group);
            if (m.SiteAdmin)
                siteAdmin = (siteAdmin ?? false) || applies;
            if (string.IsNullOrWhiteSpace(m.Project) || !OidcOptions.TryParseRole(m.Role, out var role))
                continue;
            var slug = m.Project.Trim().ToLowerInvariant();
            projects.TryGetValue(slug, out var current);
            // Several groups may map to one project: the highest role wins.
            projects[slug] = applies && (current is null || role > current) ? role : current;
        }

        return new MappedAccess(siteAdmin, projects);
    }
}

/// <summary>
/// Signs in a person the identity provider vouches for: finds their account by issuer + subject, or provisions one,
/// then brings their site-admin flag and mapped project memberships in line with their groups.
/// <para>
/// Linking to an existing local account happens only by e-mail, and only when the provider says the address is
/// verified (<c>email_verified: true</c>); otherwise the sign-in is refused, because anyone who can set an unverified
/// address at the provider could take over the local account of that address.
/// </para>
/// <para>
/// Synchronisation touches only what the mappings speak of: a project named in some mapping has its membership for
/// this user added, changed or removed to match the groups (the provider governs mapped projects, so a manual change
/// there lasts until the next sign-in); memberships of unmapped projects are kept as they are. A change that would
/// leave a project without an admin is skipped and logged.
/// </para>
/// </summary>
public sealed class ExternalSignIn(
    UserManager<PortalUser> userManager,
    // The scoped context UserManager itself works on, so the user it returns carries the synchronised flags.
    PortalDbContext db,
    IOptions<OidcOptions> options,
    TimeProvider clock,
    ILogger<ExternalSignIn> logger)
{
    public async Task<PortalUser> SignInAsync(ExternalIdentity identity, CancellationToken ct = default)
    {
        var user = await FindOrProvisionAsync(identity, ct);
        await SynchroniseAsync(user, identity, ct);
        return user;
    }

    private async Task<PortalUser> FindOrProvisionAsync(ExternalIdentity identity, CancellationToken ct)
    {
        var linked = await userManager.FindByLoginAsync(identity.Issuer, identity.Subject);
        if (linked is not null)
            return linked;

        var email = identity.Email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 256 || !email.Contains('@', StringComparison.Ordinal))
        {
            throw new PortalException(403, ErrorCodes.ExternalEmailMissing,
                $"{identity.ProviderDisplayName} did not send an e-mail address; Portal needs one (ask for the 'email' scope).");
        }

        var login = new UserLoginInfo(identity.Issuer, identity.Subject, identity.ProviderDisplayName);
        var now = clock.GetUtcNow();
        var existing = await userManager.FindByEmailAsync(email);
        if (existing is not null)
        {
            if (!identity.EmailVerified)
            {
                throw new PortalException(403, ErrorCodes.ExternalEmailUnverified,
                    $"A Portal account for {email} already exists, and {identity.ProviderDisplayName} does not say the address is verified. Sign in with your password, or ask a site admin.");
            }

            Check(await userManager.AddLoginAsync(existing, login));
            await RecordAsync(now, existing.Id, "user.external_login_linked", existing.Id, new { existing.Email, identity.Issuer, identity.Subject }, ct);
            logger.LogInformation("Linked {Email} to {Issuer} subject {Subject}", email, identity.Issuer, identity.Subject);
            return existing;
        }

        var user = new PortalUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = identity.EmailVerified,
            DisplayName = string.IsNullOrWhiteSpace(identity.Name) ? email.Split('@')[0] : identity.Name.Trim(),
            CreatedAt = now,
        };
        Check(await userManager.CreateAsync(user));
        Check(await userManager.AddLoginAsync(user, login));
        await RecordAsync(now, user.Id, "user.provisioned", user.Id, new { user.Email, identity.Issuer, identity.Subject }, ct);
        logger.LogInformation("Provisioned {Email} from {Issuer} subject {Subject}", email, identity.Issuer, identity.Subject);
        return user;
    }

    private async Task SynchroniseAsync(PortalUser user, ExternalIdentity identity, CancellationToken ct)
    {
        var userId = user.Id;
        var mapped = MappedAccess.For(options.Value.RoleMappings, identity.Groups);
        var source = new { Source = "oidc", Groups = identity.Groups.Order(StringComparer.Ordinal).ToArray() };
        var now = clock.GetUtcNow();
        var demoted = false;
        if (mapped.SiteAdmin is { } siteAdmin && user.IsSiteAdmin != siteAdmin)
        {
            db.Record(now, null, null, "user.site_admin_changed", "user", user.Id,
                before: new { IsSiteAdmin = user.IsSiteAdmin }, after: new { IsSiteAdmin = siteAdmin, source.Source, source.Groups });
            demoted = user.IsSiteAdmin;
            user.IsSiteAdmin = siteAdmin;
        }

        var slugs = mapped.Projects.Keys.ToList();
        var projects = await db.Projects.Where(p => slugs.Contains(p.Slug)).Select(p => new { p.Id, p.Slug }).ToListAsync(ct);
        foreach (var missing in slugs.Except(projects.Select(p => p.Slug), StringComparer.OrdinalIgnoreCase))
            logger.LogWarning("{Section} maps groups to project '{Slug}', which does not exist", OidcOptions.Section, missing);
        var projectIds = projects.Select(p => p.Id).ToList();
        var memberships = await db.Memberships.Where(m => m.UserId == userId && projectIds.Contains(m.ProjectId)).ToDictionaryAsync(m => m.ProjectId, ct);

        foreach (var project in projects)
        {
            var desired = mapped.Projects[project.Slug];
            memberships.TryGetValue(project.Id, out var membership);
            if (membership is null && desired is { } added)
            {
                db.Memberships.Add(new ProjectMembership { ProjectId = project.Id, UserId = userId, Role = added, CreatedAt = now });
                db.Record(now, null, project.Id, "member.added", "membership", userId, after: new { user.Email, Role = added.ToString(), source.Source, source.Groups });
            }
            else if (membership is not null && membership.Role != desired)
            {
                if (membership.Role == ProjectRole.Admin && !await HasAnotherAdminAsync(project.Id, userId, ct))
                {
                    logger.LogWarning("Kept {Email} as the only admin of '{Slug}' although their groups say {Role}", user.Email, project.Slug, desired?.ToString() ?? "no role");
                    continue;
                }

                if (desired is { } changed)
                {
                    db.Record(now, null, project.Id, "member.role_changed", "membership", userId,
                        before: new { Role = membership.Role.ToString() }, after: new { Role = changed.ToString(), source.Source, source.Groups });
                    membership.Role = changed;
                }
                else
                {
                    db.Memberships.Remove(membership);
                    db.Record(now, null, project.Id, "member.removed", "membership", userId,
                        before: new { Role = membership.Role.ToString() }, after: new { source.Source, source.Groups });
                }
            }
        }

        await db.SaveChangesAsync(ct);
        // Other sessions of a former site admin end at their next revalidation instead of keeping the claim.
        if (demoted)
            Check(await userManager.UpdateSecurityStampAsync(user));
    }

    private Task<bool> HasAnotherAdminAsync(Guid projectId, string userId, CancellationToken ct) =>
        db.Memberships.AnyAsync(m => m.ProjectId == projectId && m.Role == ProjectRole.Admin && m.UserId != userId, ct);

    private async Task RecordAsync(DateTimeOffset now, string userId, string action, string targetId, object after, CancellationToken ct)
    {
        db.Record(now, userId, null, action, "user", targetId, after: after);
        await db.SaveChangesAsync(ct);
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
            throw PortalException.BadRequest(ErrorCodes.ValidationFailed, string.Join(" ", result.Errors.Select(e => e.Description)));
    }
}
