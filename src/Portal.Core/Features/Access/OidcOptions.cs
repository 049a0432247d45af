namespace Portal.Core.Features.Access;

/// <summary>
/// Optional sign-in through an OpenID Connect provider (Entra ID, Keycloak …), section <c>Authentication:Oidc</c>.
/// Off unless <see cref="Authority"/> is set.
/// </summary>
public sealed class OidcOptions
{
    public const string Section = "Authentication:Oidc";

    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "profile", "email"];

    /// <summary>The issuer URL, e.g. <c>https://login.microsoftonline.com/&lt;tenant&gt;/v2.0</c> or a Keycloak realm.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Scopes to ask for; <see cref="DefaultScopes"/> when none are configured.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>Shown on the sign-in page as "Sign in with …".</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>The claim that lists the user's groups (Entra ID: <c>groups</c>; Keycloak: whatever the mapper names it).</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>Only for a provider on a development machine or in tests; production metadata must come over https.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Fetch claims (e-mail, groups) from the userinfo endpoint as well as the ID token.</summary>
    public bool GetClaimsFromUserInfoEndpoint { get; set; } = true;

    public List<OidcRoleMapping> RoleMappings { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public IReadOnlyList<string> EffectiveScopes => Scopes.Count > 0 ? Scopes : DefaultScopes;

    /// <summary>What is wrong with the settings, so the portal refuses to start rather than map roles wrongly.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Enabled)
            return problems;
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out _))
            problems.Add($"{Section}:Authority '{Authority}' is not an absolute URL.");
        if (string.IsNullOrWhiteSpace(ClientId))
            problems.Add($"{Section}:ClientId is required when Authority is set.");
        if (string.IsNullOrWhiteSpace(GroupsClaim))
            problems.Add($"{Section}:GroupsClaim must not be empty.");
        for (var i = 0; i < RoleMappings.Count; i++)
        {
            var m = RoleMappings[i];
            var where = $"{Section}:RoleMappings:{i}";
            if (string.IsNullOrWhiteSpace(m.Group))
                problems.Add($"{where} needs a Group.");
            if (!m.SiteAdmin && string.IsNullOrWhiteSpace(m.Project))
                problems.Add($"{where} maps group '{m.Group}' to nothing; give SiteAdmin: true and/or a Project and Role.");
            if (!string.IsNullOrWhiteSpace(m.Project) && !TryParseRole(m.Role, out _))
                problems.Add($"{where} gives project '{m.Project}' the role '{m.Role}'; use Viewer, Contributor, Reviewer or Admin.");
            if (string.IsNullOrWhiteSpace(m.Project) && !string.IsNullOrWhiteSpace(m.Role))
                problems.Add($"{where} has a Role but no Project.");
        }

        return problems;
    }

    internal static bool TryParseRole(string? role, out ProjectRole parsed) =>
        Enum.TryParse(role, ignoreCase: true, out parsed) && Enum.IsDefined(parsed) && !int.TryParse(role, out _);
}

/// <summary>
/// One rule: members of <see cref="Group"/> are site admins and/or have <see cref="Role"/> in <see cref="Project"/>
/// (a project slug). E.g. <c>{ "Group": "ml-admins", "SiteAdmin": true }</c>,
/// <c>{ "Group": "team-a", "Project": "demo", "Role": "Contributor" }</c>.
/// </summary>
public sealed class OidcRoleMapping
{
    public string Group { get; set; } = "";

    public bool SiteAdmin { get; set; }

    public string? Project { get; set; }

    public string? Role { get; set; }
}
