using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Projects;
using Portal.Core.Features.Promotions;
using Portal.Core.Features.Registry;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Registry;

/// <summary>
/// Registry collections on a real database: a link is a new collection version over the same manifest (nothing copied),
/// required card fields gate links and promotions, sources are redacted for those who cannot read them, unlinking keeps
/// the record, and the collection's aliases go through the project promotion machinery.
/// </summary>
public abstract class RegistryTests(PortalApp app)
{
    private sealed record Setup(TestProject Team, string Collection, ArtifactVersionResponse V0, ArtifactVersionResponse V1);

    /// <summary>A project with two versions of <c>index</c>, and a collection whose admin is the project's admin and whose contributor is the project's contributor.</summary>
    private async Task<Setup> SetupAsync(IReadOnlyList<string>? required = null, IReadOnlyDictionary<string, string>? fields = null)
    {
        var team = await app.Data.CreateProjectWithTeamAsync();
        var v0 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "first", ("a.bin", "alpha"), ("b.bin", "beta"));
        var v1 = await TestArtifacts.PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "index", "index", null, "second", ("a.bin", "alpha"), ("b.bin", "beta 2"));
        var name = TestData.UniqueSlug("reg");
        await Use<RegistryCollections>().CreateAsync(team.Admin.Principal, new CreateRegistryCollectionRequest(name, "index", "Retriever", "# Card", required, fields));
        await app.Data.AddMemberAsync(team.Admin, name, team.Contributor, ProjectRole.Contributor);
        await app.Data.AddMemberAsync(team.Admin, name, team.Reviewer, ProjectRole.Reviewer);
        return new Setup(team, name, v0, v1);
    }

    private T Use<T>() where T : notnull => app.Services.CreateScope().ServiceProvider.GetRequiredService<T>();

    private async Task<PortalDbContext> DbAsync() => await app.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();

    [SkippableFact]
    public async Task A_link_is_a_new_collection_version_over_the_same_ranges_and_the_collection_holds_its_blobs()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        long rangesBefore;
        await using (var db = await DbAsync())
            rangesBefore = await db.ManifestRanges.CountAsync();

        var linked = await Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1", "ready"));

        Assert.Equal("v0", linked.Version);
        Assert.Equal(s.V1.ManifestDigest, linked.ManifestDigest);
        Assert.Equal(["latest"], linked.Aliases);
        Assert.Equal((true, s.Team.Slug, "index", "v1", s.V1.Id), (linked.Source.Accessible, linked.Source.Project, linked.Source.Artifact, linked.Source.Version, linked.Source.VersionId));
        Assert.Equal("ready", linked.Comment);
        await using (var db = await DbAsync())
        {
            Assert.Equal(rangesBefore, await db.ManifestRanges.CountAsync());
            var sourceRanges = await db.VersionRanges.Where(r => r.VersionId == s.V1.Id).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync();
            var linkedRanges = await db.VersionRanges.Where(r => r.VersionId == linked.Id).OrderBy(r => r.Ordinal).Select(r => r.RangeDigest).ToListAsync();
            Assert.Equal(sourceRanges, linkedRanges);
            var collectionId = await db.Projects.Where(p => p.Slug == s.Collection).Select(p => p.Id).SingleAsync();
            var digests = await db.VersionRanges.Where(r => r.VersionId == s.V1.Id).Join(db.RangeEntries, r => r.RangeDigest, e => e.RangeDigest, (r, e) => e.Digest).ToListAsync();
            Assert.Equal(2, digests.Count);
            Assert.Equal(2, await db.ProjectBlobs.CountAsync(b => b.ProjectId == collectionId && digests.Contains(b.Digest)));
            Assert.True(await db.AuditEvents.AnyAsync(e => e.ProjectId == collectionId && e.Action == "registry.version_linked"));
        }

        // The same version is linked once; another one becomes v1 and moves latest.
        var again = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "latest")));
        Assert.Equal(ErrorCodes.RegistryAlreadyLinked, again.Code);
        var second = await Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"));
        Assert.Equal("v1", second.Version);
        var collection = await Use<RegistryCollections>().GetAsync(s.Team.Viewer.Principal, s.Collection);
        Assert.Equal(2, collection.VersionCount);
        Assert.Equal("v1", collection.Aliases["latest"]);
        Assert.Equal("index", collection.Type);
    }

    [SkippableFact]
    public async Task Missing_required_card_fields_refuse_links_and_promotions_until_an_admin_fills_them_in()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync(["licence", "intended_use"], new Dictionary<string, string> { ["licence"] = "MIT" });
        var collection = await Use<RegistryCollections>().GetAsync(s.Team.Contributor.Principal, s.Collection);
        Assert.Equal(["intended_use"], collection.MissingFields);

        var refused = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0")));
        Assert.Equal((409, ErrorCodes.RegistryCardIncomplete), (refused.Status, refused.Code));
        Assert.Contains("intended_use", refused.Message, StringComparison.Ordinal);

        var notAdmin = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryCollections>().UpdateAsync(s.Team.Contributor.Principal, s.Collection, new UpdateRegistryCollectionRequest(Fields: new Dictionary<string, string> { ["intended_use"] = "x" })));
        Assert.Equal(403, notAdmin.Status);
        var bad = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryCollections>().UpdateAsync(s.Team.Admin.Principal, s.Collection, new UpdateRegistryCollectionRequest(RequiredFields: ["Bad Name"])));
        Assert.Equal(ErrorCodes.RegistryFieldInvalid, bad.Code);

        var updated = await Use<RegistryCollections>().UpdateAsync(s.Team.Admin.Principal, s.Collection,
            new UpdateRegistryCollectionRequest(Fields: new Dictionary<string, string> { ["licence"] = "MIT", ["intended_use"] = "Support retrieval" }));
        Assert.Empty(updated.MissingFields);
        await Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"));

        // A new required field blocks promotions too.
        await Use<PromotionPolicies>().SetAsync(s.Team.Admin.Principal, s.Collection, "production", new PromotionPolicyRequest());
        await Use<RegistryCollections>().UpdateAsync(s.Team.Admin.Principal, s.Collection, new UpdateRegistryCollectionRequest(RequiredFields: ["licence", "intended_use", "owner"]));
        var promotion = await Assert.ThrowsAsync<PortalException>(() => Use<RequestPromotion>().RequestAsync(s.Team.Contributor.Principal, s.Collection, s.Collection, new CreatePromotionRequest("v0", "production")));
        Assert.Equal(ErrorCodes.RegistryCardIncomplete, promotion.Code);
    }

    [SkippableFact]
    public async Task Collection_aliases_go_through_policies_approvals_and_alias_history()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        var links = Use<RegistryLinks>();
        await links.LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"));
        await links.LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1"));
        await Use<PromotionPolicies>().SetAsync(s.Team.Admin.Principal, s.Collection, "production", new PromotionPolicyRequest(RequiredApprovals: 1, ApproverRole: "Reviewer"));

        // Four eyes: the requester cannot approve; a reviewer of the collection can.
        var request = await Use<RequestPromotion>().RequestAsync(s.Team.Contributor.Principal, s.Collection, s.Collection, new CreatePromotionRequest("v1", "production", "ready"));
        await Assert.ThrowsAsync<PortalException>(() => Use<DecidePromotion>().ApproveAsync(s.Team.Contributor.Principal, s.Collection, request.Id, new PromotionDecisionRequest("self")));
        await Use<DecidePromotion>().ApproveAsync(s.Team.Reviewer.Principal, s.Collection, request.Id, new PromotionDecisionRequest("ok"));

        var collection = await Use<RegistryCollections>().GetAsync(s.Team.Viewer.Principal, s.Collection);
        Assert.Equal("v1", collection.Aliases["production"]);
        await using var db = await DbAsync();
        var artifactId = await db.RegistryCollections.Where(c => c.Project.Slug == s.Collection).Select(c => c.ArtifactId).SingleAsync();
        Assert.True(await db.AliasEvents.AnyAsync(e => e.ArtifactId == artifactId && e.AliasName == "production" && e.PromotionRequestId == request.Id));
        // A direct move of the protected alias is refused as for any project.
        var direct = await Assert.ThrowsAsync<PortalException>(() => Use<ArtifactAliases>().SetAsync(s.Team.Admin.Principal, s.Collection, s.Collection, "production", new SetAliasRequest("v0", "skip review")));
        Assert.Equal(ErrorCodes.AliasProtected, direct.Code);
    }

    [SkippableFact]
    public async Task Everyone_reads_collections_but_sources_are_named_only_to_their_readers_and_links_need_both_roles()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        await Use<RegistryLinks>().LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"));
        var outsider = await app.Data.CreateUserAsync("outsider");

        var listed = await Use<RegistryCollections>().ListAsync(outsider.Principal, s.Collection);
        var seen = Assert.Single(listed);
        Assert.Equal(("Viewer", 1), (seen.Role, seen.VersionCount));
        var version = Assert.Single(await Use<RegistryVersions>().ListAsync(outsider.Principal, s.Collection));
        Assert.Equal(new RegistrySourceResponse(false, null, null, null, null), version.Source);
        var lineage = await Use<RegistryVersions>().LineageAsync(outsider.Principal, s.Collection, "v0");
        Assert.Null(lineage.SourceGraph);
        Assert.False(lineage.Version.Source.Accessible);

        var readerLineage = await Use<RegistryVersions>().LineageAsync(s.Team.Viewer.Principal, s.Collection, "latest");
        Assert.NotNull(readerLineage.SourceGraph);
        Assert.Equal($"version:{s.V0.Id:D}", readerLineage.SourceGraph.FocusId);

        // A reader of the collection may not link; a collection contributor must also read the source project.
        var viewerLink = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryLinks>().LinkAsync(outsider.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1")));
        Assert.Equal(403, viewerLink.Status);
        await app.Data.AddMemberAsync(s.Team.Admin, s.Collection, outsider, ProjectRole.Contributor);
        var blind = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryLinks>().LinkAsync(outsider.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1")));
        Assert.Equal((404, ErrorCodes.ProjectNotFound), (blind.Status, blind.Code));

        // Collections stay out of project lists, and a project is not a collection.
        Assert.DoesNotContain(await Use<Portal.Core.Features.Projects.Projects>().ListAsync(s.Team.Admin.Principal), p => p.Slug == s.Collection);
        var notCollection = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryCollections>().GetAsync(s.Team.Admin.Principal, s.Team.Slug));
        Assert.Equal(ErrorCodes.RegistryCollectionNotFound, notCollection.Code);
        var taken = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryCollections>().CreateAsync(outsider.Principal, new CreateRegistryCollectionRequest(s.Team.Slug, "model")));
        Assert.Equal(ErrorCodes.RegistryNameTaken, taken.Code);
        var nested = await Assert.ThrowsAsync<PortalException>(() => Use<RegistryLinks>().LinkAsync(s.Team.Admin.Principal, s.Collection, new LinkRegistryVersionRequest(s.Collection, s.Collection, "v0")));
        Assert.Equal(ErrorCodes.RegistrySourceInvalid, nested.Code);
    }

    [SkippableFact]
    public async Task Unlinking_keeps_the_record_moves_latest_back_and_is_refused_while_a_custom_alias_points_there()
    {
        app.SkipIfUnavailable();
        var s = await SetupAsync();
        var links = Use<RegistryLinks>();
        await links.LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v0"));
        await links.LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1"));
        await Use<ArtifactAliases>().SetAsync(s.Team.Admin.Principal, s.Collection, s.Collection, "staging", new SetAliasRequest("v0", "try"));

        var contributor = await Assert.ThrowsAsync<PortalException>(() => links.UnlinkAsync(s.Team.Contributor.Principal, s.Collection, "v1"));
        Assert.Equal(403, contributor.Status);
        var aliased = await Assert.ThrowsAsync<PortalException>(() => links.UnlinkAsync(s.Team.Admin.Principal, s.Collection, "v0"));
        Assert.Equal(ErrorCodes.RegistryVersionAliased, aliased.Code);

        var unlinked = await links.UnlinkAsync(s.Team.Admin.Principal, s.Collection, "v1");
        Assert.NotNull(unlinked.UnlinkedAt);
        var collection = await Use<RegistryCollections>().GetAsync(s.Team.Viewer.Principal, s.Collection);
        Assert.Equal((1, "v0"), (collection.VersionCount, collection.Aliases["latest"]));
        var versions = await Use<RegistryVersions>().ListAsync(s.Team.Viewer.Principal, s.Collection);
        Assert.Equal(["v1", "v0"], versions.Select(v => v.Version));
        Assert.NotNull(versions[0].UnlinkedAt);

        // The source can be linked again: a new version, never the old number.
        var relinked = await links.LinkAsync(s.Team.Contributor.Principal, s.Collection, new LinkRegistryVersionRequest(s.Team.Slug, "index", "v1"));
        Assert.Equal("v2", relinked.Version);
    }
}

public sealed class RegistryTests_Sqlite(SqliteApp app) : RegistryTests(app), IClassFixture<SqliteApp>;

public sealed class RegistryTests_Postgres(PostgresApp app) : RegistryTests(app), IClassFixture<PostgresApp>;

/// <summary>The registry's queries, checked for SQL Server translation.</summary>
public class RegistryQueriesSqlServerTranslationTests
{
    [Fact]
    public void Collection_list_with_search_and_the_links_of_a_collection_translate()
    {
        using var db = Portal.Core.Tests.Data.MigrationsTests.ContextFor(DatabaseProvider.SqlServer);
        var list = RegistryCollections.ListQuery(db, "user-id", "retriever").Take(RegistryCollections.MaxListed).ToQueryString();
        Assert.Contains("[RegistryCollections]", list, StringComparison.Ordinal);
        Assert.Contains("LIKE", list, StringComparison.Ordinal);
        Assert.Contains("ORDER BY [p].[Slug]", list, StringComparison.Ordinal);
        var one = RegistryCollections.ListQuery(db, "user-id", null, Guid.NewGuid()).ToQueryString();
        Assert.Contains("[ProjectId] = @", one, StringComparison.Ordinal);

        var links = RegistryVersions.LinksQuery(db, Guid.NewGuid()).ToQueryString();
        Assert.Contains("[RegistryLinks]", links, StringComparison.Ordinal);
        Assert.Contains("ORDER BY [a].[Index] DESC", links, StringComparison.Ordinal);
    }
}
