using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Parquet.Serialization;
using Portal.Client;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;
using Portal.Core.Features.Changes;
using Portal.TestCommon;

namespace Portal.Core.Tests.Features.Changes;

/// <summary>The change feed on a real database: keys and content, moves between files, renames, duplicates, malformed rows, resume.</summary>
public abstract class ChangeFeedTests(PortalApp app)
{
    private static async Task<ArtifactVersionResponse> PublishAsync(IServiceProvider services, ClaimsPrincipal user, string slug, string name, params (string Path, byte[] Content)[] files)
    {
        await using var scope = services.CreateAsyncScope();
        var blobs = scope.ServiceProvider.GetRequiredService<BlobUploads>();
        var entries = new List<ManifestEntryModel>();
        foreach (var (path, content) in files)
        {
            var digest = Convert.ToHexStringLower(SHA256.HashData(content));
            await blobs.PutAsync(user, digest, new MemoryStream(content), content.Length);
            entries.Add(new ManifestEntryModel(path, digest, content.Length));
        }

        var created = await scope.ServiceProvider.GetRequiredService<CreateVersion>().FromEntriesAsync(
            user, slug, name, new NewVersionFields("chunks", "", "{}", null, null), entries);
        return (await scope.ServiceProvider.GetRequiredService<CommitVersion>().CommitAsync(user, slug, name, created.VersionId!.Value)).Version;
    }

    private static (string, byte[]) File(string path, string text) => (path, Encoding.UTF8.GetBytes(text));

    private async Task<List<ChangeEvent>> FeedAsync(TestUser user, string slug, Guid from, Guid to, string? key = null, bool rows = true, string? continuation = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var feed = scope.ServiceProvider.GetRequiredService<ChangeFeed>();
        var plan = await feed.PlanAsync(user.Principal, slug, from, to, continuation);
        var events = new List<ChangeEvent>();
        await foreach (var change in feed.ReadAsync(plan, key, rows))
            events.Add(change);
        return events;
    }

    private static ChangeFeedSummary SummaryOf(List<ChangeEvent> events) => Assert.Single(events, e => e.Record.Op == ChangeOps.End).Record.Summary!;

    [SkippableFact]
    public async Task Keyed_rows_are_matched_across_files_so_moves_are_unchanged_and_only_differing_files_are_read()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Contributor.Principal;
        var v0 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("a.jsonl", "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n{\"id\":3,\"text\":\"three\"}\n"),
            File("b.jsonl", "{\"id\":10,\"text\":\"ten\"}\n"),
            File("old/name.jsonl", "{\"id\":50,\"text\":\"fifty\"}\n"),
            File("removed.jsonl", "{\"id\":60,\"text\":\"sixty\"}\n"),
            File("readme.md", "hello"),
            File("same.jsonl", "{\"id\":100,\"text\":\"kept\"}\n"));
        var newA = "{\"id\":1,\"text\":\"one\"}\r\n{\"id\":2,\"text\":\"TWO\"}\r\n";
        var newB = "{\"id\":10,\"text\":\"ten\"}\n{ \"text\": \"three\", \"id\": 3.0 }\n{\"id\":11,\"text\":\"eleven\"}\n";
        var v1 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("a.jsonl", newA),
            File("b.jsonl", newB),
            File("new/name.jsonl", "{\"id\":50,\"text\":\"fifty\"}\n"),
            File("readme.md", "hello world"),
            File("same.jsonl", "{\"id\":100,\"text\":\"kept\"}\n"));

        var events = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id);
        var records = events.Select(e => e.Record).ToList();
        Assert.Equal(
            ["changed file readme.md: ", "changed row a.jsonl:2 2", "added row b.jsonl:3 11", "removed row removed.jsonl:1 60", "end  : "],
            records.Select(r => $"{r.Op} {r.Level} {r.Path}:{r.Line} {r.Key}"));
        var changed = records[1];
        Assert.Equal("id", changed.KeyColumn);
        Assert.Equal("a.jsonl", changed.PreviousPath);
        Assert.Equal(RowDigest.Of("{\"id\":2,\"text\":\"two\"}"u8), changed.PreviousRowDigest);
        Assert.Equal(RowDigest.Of("{\"id\":2,\"text\":\"TWO\"}"u8), changed.RowDigest);
        Assert.Equal("{\"id\":2,\"text\":\"TWO\"}", Encoding.UTF8.GetString(events[1].Row!));
        Assert.Null(events[3].Row);

        var summary = SummaryOf(events);
        Assert.Equal((1L, 1L, 1L, 3L), (summary.Added, summary.Changed, summary.Removed, summary.Unchanged));
        // a and b on both sides and the removed file; the renamed file (same bytes) and same.jsonl are not read.
        Assert.Equal(5, summary.FilesRead);
        var oldA = "{\"id\":1,\"text\":\"one\"}\n{\"id\":2,\"text\":\"two\"}\n{\"id\":3,\"text\":\"three\"}\n";
        Assert.Equal(Encoding.UTF8.GetByteCount(oldA + "{\"id\":10,\"text\":\"ten\"}\n" + "{\"id\":60,\"text\":\"sixty\"}\n" + newA + newB), summary.BytesRead);
        Assert.Equal((1, 1, 3, 0), (summary.FilesRenamed, summary.FilesRemoved, summary.FilesChanged, summary.FilesAdded));
        Assert.Equal(3, summary.FilesSkipped);
    }

    [SkippableFact]
    public async Task Keyless_rows_are_matched_by_content_and_a_given_key_column_is_used()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Contributor.Principal;
        var v0 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("data.csv", "text,label\nhello,a\n\"world, wide\",b\n"),
            File("docs.tsv", "doc\tbody\nd1\tfirst\nd2\tsecond\n"));
        var v1 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("data.csv", "label,text\na,hello\nc,\"world, wide\"\nd,new\n"),
            File("docs.tsv", "doc\tbody\nd1\tfirst\nd2\tSECOND\n"));

        var events = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id);
        var records = events.Select(e => e.Record).Where(r => r.Op != ChangeOps.End).ToList();
        // Column order does not matter (hello,a is unchanged); without a key a changed row is one removed and one added.
        Assert.Equal(["added data.csv:3", "added data.csv:4", "added docs.tsv:3", "removed data.csv:3", "removed docs.tsv:3"],
            records.Select(r => $"{r.Op} {r.Path}:{r.Line}"));
        Assert.All(records, r => Assert.Null(r.Key));
        Assert.Equal("{\"label\":\"c\",\"text\":\"world, wide\"}", Encoding.UTF8.GetString(events.First(e => e.Record.Line == 3).Row!));

        var keyed = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id, key: "doc");
        var tsv = keyed.Select(e => e.Record).Where(r => r.Path == "docs.tsv").ToList();
        var change = Assert.Single(tsv);
        Assert.Equal((ChangeOps.Changed, "d2", "doc"), (change.Op, change.Key, change.KeyColumn));
    }

    [SkippableFact]
    public async Task Duplicate_keys_and_malformed_rows_are_reported_with_file_and_line()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Contributor.Principal;
        var v0 = await PublishAsync(app.Services, user, team.Slug, "chunks", File("c.jsonl", "{\"id\":5,\"text\":\"five\"}\n"));
        var v1 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("c.jsonl", "{\"id\":5,\"text\":\"five\"}\nnot json\n{\"id\":5,\"text\":\"again\"}\n{\"id\":6,\"a\":1,\"a\":2}\n"),
            File("d.csv", "id,text\n1,x,extra\n"));

        var records = (await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id)).Select(r => r.Record).ToList();
        var malformed = records.Where(r => r.Op == ChangeOps.Malformed).ToList();
        Assert.Equal(["c.jsonl:2", "c.jsonl:4", "d.csv:2"], malformed.Select(r => $"{r.Path}:{r.Line}"));
        Assert.All(malformed, r => Assert.Equal("to", r.Side));
        var duplicate = Assert.Single(records, r => r.Op == ChangeOps.DuplicateKey);
        Assert.Equal(("c.jsonl", 3L, "5"), (duplicate.Path, duplicate.Line, duplicate.Key));
        Assert.Contains("c.jsonl line 1", duplicate.Message, StringComparison.Ordinal);
        // Not merged: the second row with key 5 is reported as a row of its own.
        Assert.Contains(records, r => r.Op == ChangeOps.Added && r.Line == 3 && r.Key == "5");
        var summary = records[^1].Summary!;
        Assert.Equal((3L, 1L, 1L), (summary.Malformed, summary.DuplicateKeys, summary.Unchanged));
    }

    [SkippableFact]
    public async Task The_feed_resumes_after_a_cursor_and_leaves_bodies_out_on_request()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Contributor.Principal;
        var v0 = await PublishAsync(app.Services, user, team.Slug, "chunks", File("r.jsonl", "{\"id\":0}\n"));
        var v1 = await PublishAsync(app.Services, user, team.Slug, "chunks",
            File("r.jsonl", string.Concat(Enumerable.Range(1, 50).Select(i => $"{{\"id\":{i},\"text\":\"row {i}\"}}\n"))));

        var all = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id, rows: false);
        Assert.Equal(52, all.Count);
        Assert.All(all, e => Assert.Null(e.Row));
        var resumed = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id, rows: false, continuation: all[19].Record.Cursor);
        Assert.Equal(all.Skip(20).Select(e => e.Record), resumed.Select(e => e.Record));

        var other = await PublishAsync(app.Services, user, team.Slug, "chunks", File("r.jsonl", "{\"id\":7}\n"));
        var refused = await Assert.ThrowsAsync<PortalException>(() => FeedAsync(team.Viewer, team.Slug, v0.Id, other.Id, continuation: all[19].Record.Cursor));
        Assert.Equal(ErrorCodes.ContinuationInvalid, refused.Code);
    }

    [SkippableFact]
    public async Task Parquet_rows_are_read_with_typed_values()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var user = team.Contributor.Principal;
        var v0 = await PublishAsync(app.Services, user, team.Slug, "chunks", ("p.parquet", await ParquetAsync([new Chunk(1, "one", 0.5), new Chunk(2, "two", 1)])));
        var v1 = await PublishAsync(app.Services, user, team.Slug, "chunks", ("p.parquet", await ParquetAsync([new Chunk(2, "two", 1), new Chunk(1, "uno", 0.5), new Chunk(3, "three", 1e-7)])));

        var events = await FeedAsync(team.Viewer, team.Slug, v0.Id, v1.Id);
        Assert.Equal(["changed 1 2", "added 3 3"], events.Where(e => e.Record.Op != ChangeOps.End).Select(e => $"{e.Record.Op} {e.Record.Key} {e.Record.Line}"));
        Assert.Equal("{\"Id\":3,\"Score\":1e-7,\"Text\":\"three\"}", Encoding.UTF8.GetString(events[1].Row!));
    }

    [SkippableFact]
    public async Task Only_members_read_the_feed()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var v0 = await PublishAsync(app.Services, team.Contributor.Principal, team.Slug, "chunks", File("a.jsonl", "{\"id\":1}\n"));
        var outsider = await app.Data.CreateUserAsync();
        await Assert.ThrowsAnyAsync<PortalException>(() => FeedAsync(outsider, team.Slug, v0.Id, v0.Id));
        var same = await FeedAsync(team.Viewer, team.Slug, v0.Id, v0.Id);
        Assert.Equal(ChangeOps.End, Assert.Single(same).Record.Op);
    }

    public sealed record Chunk(int Id, string Text, double Score);

    private static async Task<byte[]> ParquetAsync(IEnumerable<Chunk> rows)
    {
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, stream);
        return stream.ToArray();
    }
}

public sealed class ChangeFeedTests_Sqlite(SqliteApp app) : ChangeFeedTests(app), IClassFixture<SqliteApp>;

public sealed class ChangeFeedTests_Postgres(PostgresApp app) : ChangeFeedTests(app), IClassFixture<PostgresApp>;

public sealed class ChangeFeedTests_SqlServer(SqlServerApp app) : ChangeFeedTests(app), IClassFixture<SqlServerApp>;
