using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Auditing;
using Portal.Core.Features.Projects;

namespace Portal.Core.Features.Registry;

/// <summary>
/// Create, list, read and edit registry collections. Every signed-in user reads them (they are site-wide); any user
/// may create one and becomes its admin; the card is edited by collection admins.
/// </summary>
public sealed class RegistryCollections(IDbContextFactory<PortalDbContext> dbFactory, ProjectAccess access, TimeProvider clock)
{
    public const int MaxListed = 500;

    public async Task<IReadOnlyList<RegistryCollectionResponse>> ListAsync(ClaimsPrincipal user, string? search = null, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var isSiteAdmin = await db.Users.Where(u => u.Id == userId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        var rows = await ListQuery(db, userId, search).Take(MaxListed).ToListAsync(ct);
        var aliases = await AliasesAsync(db, rows.Select(r => r.ArtifactId).ToList(), ct);
        return rows.Select(r => ToResponse(r, aliases, isSiteAdmin)).ToList();
    }

    /// <summary>The collections query, ordered by name; public for the SQL Server translation check.</summary>
    public static IQueryable<CollectionRow> ListQuery(PortalDbContext db, string userId, string? search, Guid? projectId = null)
    {
        var query = db.RegistryCollections.AsNoTracking();
        if (projectId is { } id)
            query = query.Where(c => c.ProjectId == id);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToLower();
            query = query.Where(c => c.Project.Slug.Contains(term) || c.Project.Name.ToLower().Contains(term)
                || c.Type.Contains(term) || c.Card.ToLower().Contains(term));
        }
        return query
            .OrderBy(c => c.Project.Slug)
            .Select(c => new CollectionRow(
                c.ProjectId,
                c.ArtifactId,
                c.Project.Slug,
                c.Project.Name,
                c.Type,
                c.Card,
                c.RequiredFieldsJson,
                c.FieldsJson,
                db.ArtifactVersions.Count(v => v.ArtifactId == c.ArtifactId && v.State == VersionState.Committed),
                db.Memberships.Where(m => m.ProjectId == c.ProjectId && m.UserId == userId).Select(m => (ProjectRole?)m.Role).FirstOrDefault(),
                c.Project.CreatedAt,
                c.UpdatedAt));
    }

    public async Task<RegistryCollectionResponse> GetAsync(ClaimsPrincipal user, string name, CancellationToken ct = default)
    {
        var grant = await RequireAsync(user, name, ProjectRole.Viewer, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ReadAsync(db, grant, ct);
    }

    public async Task<RegistryCollectionResponse> CreateAsync(ClaimsPrincipal user, CreateRegistryCollectionRequest request, CancellationToken ct = default)
    {
        var userId = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        var name = request.Name?.Trim() ?? "";
        ProjectSlug.Validate(name);
        var type = request.Type?.Trim() ?? "";
        ArtifactNames.ValidateType(type);
        var title = string.IsNullOrWhiteSpace(request.Title) ? name : request.Title.Trim();
        if (title.Length > 200)
            throw PortalException.BadRequest(ErrorCodes.ProjectNameInvalid, $"A collection title has at most 200 characters (got {title.Length}).");
        var card = RegistryCards.ValidateCard(request.Card);
        var required = RegistryCards.ValidateRequired(request.RequiredFields);
        var fields = RegistryCards.ValidateFields(request.Fields);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var taken = PortalException.Conflict(ErrorCodes.RegistryNameTaken,
            $"The name '{name}' is taken by a collection or a project (they share one namespace); choose another name.");
        if (await db.Projects.AnyAsync(p => p.Slug == name, ct))
            throw taken;
        var now = clock.GetUtcNow();
        var project = new Project { Id = Guid.NewGuid(), Slug = name, Name = title, Kind = ProjectKind.Registry, CreatedAt = now, CreatedById = userId };
        var artifact = new Artifact { Id = Guid.NewGuid(), ProjectId = project.Id, Name = name, Type = type, CreatedAt = now };
        db.Projects.Add(project);
        db.Memberships.Add(new ProjectMembership { ProjectId = project.Id, UserId = userId, Role = ProjectRole.Admin, CreatedAt = now });
        db.Artifacts.Add(artifact);
        db.RegistryCollections.Add(new RegistryCollection
        {
            ProjectId = project.Id,
            ArtifactId = artifact.Id,
            Type = type,
            Card = card,
            RequiredFieldsJson = JsonSerializer.Serialize(required),
            FieldsJson = JsonSerializer.Serialize(fields),
            UpdatedAt = now,
        });
        db.Record(now, userId, project.Id, "registry.collection_created", "registry_collection", project.Id.ToString(),
            after: new { name, type, requiredFields = required });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            throw taken;
        }
        var grant = new ProjectAccessGrant(project, ProjectRole.Admin, userId);
        return await ReadAsync(db, grant, ct);
    }

    public async Task<RegistryCollectionResponse> UpdateAsync(ClaimsPrincipal user, string name, UpdateRegistryCollectionRequest request, CancellationToken ct = default)
    {
        var grant = await RequireAsync(user, name, ProjectRole.Admin, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var collection = await db.RegistryCollections.Include(c => c.Project).SingleAsync(c => c.ProjectId == grant.Project.Id, ct);
        var before = new { title = collection.Project.Name, requiredFields = collection.RequiredFieldsJson, fields = collection.FieldsJson, cardLength = collection.Card.Length };
        if (request.Title is { } title)
        {
            title = title.Trim();
            if (title.Length is 0 or > 200)
                throw PortalException.BadRequest(ErrorCodes.ProjectNameInvalid, "A collection title has 1 to 200 characters.");
            collection.Project.Name = title;
        }
        if (request.Card is { } card)
            collection.Card = RegistryCards.ValidateCard(card);
        if (request.RequiredFields is { } required)
            collection.RequiredFieldsJson = JsonSerializer.Serialize(RegistryCards.ValidateRequired(required));
        if (request.Fields is { } fields)
            collection.FieldsJson = JsonSerializer.Serialize(RegistryCards.ValidateFields(fields));
        var now = clock.GetUtcNow();
        collection.UpdatedAt = now;
        db.Record(now, grant.UserId, grant.Project.Id, "registry.card_updated", "registry_collection", grant.Project.Id.ToString(), before: before,
            after: new { title = collection.Project.Name, requiredFields = collection.RequiredFieldsJson, fields = collection.FieldsJson, cardLength = collection.Card.Length });
        await db.SaveChangesAsync(ct);
        return await ReadAsync(db, grant with { Project = collection.Project }, ct);
    }

    /// <summary>
    /// The collection named <paramref name="name"/> with the caller's role checked; 404
    /// <c>registry_collection_not_found</c> when there is none (an ordinary project of that name is not a collection).
    /// </summary>
    internal async Task<ProjectAccessGrant> RequireAsync(ClaimsPrincipal user, string name, ProjectRole minimum, CancellationToken ct)
    {
        _ = ProjectAccess.UserId(user) ?? throw PortalException.Unauthenticated();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!await db.Projects.AnyAsync(p => p.Slug == name && p.Kind == ProjectKind.Registry, ct))
                throw NotFound(name);
        }
        return await access.RequireAsync(user, name, minimum, ct);
    }

    internal static PortalException NotFound(string name) =>
        PortalException.NotFound(ErrorCodes.RegistryCollectionNotFound, $"No registry collection '{name}' exists; 'portal registry ls' lists them.");

    private static async Task<RegistryCollectionResponse> ReadAsync(PortalDbContext db, ProjectAccessGrant grant, CancellationToken ct)
    {
        var isSiteAdmin = await db.Users.Where(u => u.Id == grant.UserId).Select(u => u.IsSiteAdmin).SingleOrDefaultAsync(ct);
        var row = await ListQuery(db, grant.UserId, null, grant.Project.Id).SingleAsync(ct);
        var aliases = await AliasesAsync(db, [row.ArtifactId], ct);
        return ToResponse(row, aliases, isSiteAdmin);
    }

    private static async Task<ILookup<Guid, (string Name, int? Index)>> AliasesAsync(PortalDbContext db, List<Guid> artifactIds, CancellationToken ct)
    {
        var rows = await db.Aliases.AsNoTracking()
            .Where(a => artifactIds.Contains(a.ArtifactId))
            .Select(a => new { a.ArtifactId, a.Name, a.Version.Index })
            .ToListAsync(ct);
        return rows.ToLookup(r => r.ArtifactId, r => (r.Name, r.Index));
    }

    private static RegistryCollectionResponse ToResponse(CollectionRow r, ILookup<Guid, (string Name, int? Index)> aliases, bool isSiteAdmin)
    {
        var required = RegistryCards.ParseRequired(r.RequiredFieldsJson);
        var fields = RegistryCards.ParseFields(r.FieldsJson);
        var aliasMap = aliases[r.ArtifactId]
            .Where(a => a.Index is not null)
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToDictionary(a => a.Name, a => ArtifactNames.FormatIndex(a.Index!.Value), StringComparer.Ordinal);
        var role = isSiteAdmin ? ProjectRole.Admin : r.Role ?? ProjectRole.Viewer;
        return new RegistryCollectionResponse(r.ProjectId, r.Name, r.Title, r.Type, r.Card, required, fields, RegistryCards.Missing(required, fields),
            r.VersionCount, aliasMap, role.ToString(), r.CreatedAt, r.UpdatedAt);
    }
}

/// <summary>One collection as the list query reads it.</summary>
public sealed record CollectionRow(
    Guid ProjectId,
    Guid ArtifactId,
    string Name,
    string Title,
    string Type,
    string Card,
    string RequiredFieldsJson,
    string FieldsJson,
    int VersionCount,
    ProjectRole? Role,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
