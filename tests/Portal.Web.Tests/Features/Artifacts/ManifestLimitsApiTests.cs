using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;

namespace Portal.Web.Tests.Features.Artifacts;

/// <summary>One manifest request costs bounded work: a decompression bomb is refused at once with a code naming the limit.</summary>
public abstract class ManifestLimitsApiTests(PortalApp app)
{
    [SkippableFact]
    public async Task A_1_MB_gzip_of_newlines_is_refused_fast_naming_the_blank_line_limit()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var bomb = GzipOfNewlines(1L << 30);
        Assert.InRange(bomb.Length, 100_000, 2_000_000);

        var content = new ByteArrayContent(bomb);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        var watch = Stopwatch.StartNew();
        var response = await client.PostAsync(uploads.VersionsUrl("bomb") + "?type=dataset", content);
        watch.Stop();

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ManifestMalformed);
        Assert.Contains("Storage:MaxBlankManifestLines", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(10_000, problem.GetProperty("limit").GetInt32());
        // It cost 31 s of CPU when the whole gigabyte of blank lines was parsed; now under a second (the bound leaves room for a loaded machine).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the bomb took {watch.Elapsed} to refuse");
        await (await client.GetAsync($"/api/v1/projects/{team.Slug}/artifacts/bomb")).AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ArtifactNotFound);
    }

    [SkippableFact]
    public async Task A_gzip_of_one_line_repeated_is_refused_for_its_ratio_naming_the_limit()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        var line = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(ArtifactUploads.Reference("same.txt"), HttpAssertions.Json) + "\n");
        using var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var i = 0; i < 2_000_000; i++)
                gzip.Write(line);
        }
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");

        var response = await client.PostAsync(uploads.VersionsUrl("repeated") + "?type=dataset", content);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ManifestCompressionRatio);
        Assert.Contains("Storage:MaxManifestInflationRatio", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(100, problem.GetProperty("limit").GetInt32());
    }

    [SkippableFact]
    public async Task A_plain_body_of_blank_lines_is_refused_naming_the_blank_line_limit()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var uploads = new ArtifactUploads(app.ClientWithToken(team.Contributor.Token), team.Slug);

        var response = await uploads.PostNdjsonAsync("blank", new string('\n', 50_000));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.ManifestMalformed);
        Assert.Contains("more than 10,000 blank lines", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_large_json_manifest_streams_into_the_sort_with_its_fields_in_any_order()
    {
        app.SkipIfUnavailable();
        var team = await app.Data.CreateProjectWithTeamAsync();
        var client = app.ClientWithToken(team.Contributor.Token);
        var uploads = new ArtifactUploads(client, team.Slug);
        // 150,000 entries (about 25 MB of JSON): more than the sorter keeps in memory, so runs spill and merge.
        const int count = 150_000;
        var body = new System.Text.StringBuilder("{\"entries\":[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
                body.Append(',');
            var path = $"rows/{(i * 7919) % count:D6}.json";
            body.Append(System.Text.Json.JsonSerializer.Serialize(ArtifactUploads.Reference(path), HttpAssertions.Json));
        }
        // The version's fields after its entries: known only once the body has been read.
        body.Append("],\"type\":\"dataset\",\"metadata\":{\"source\":\"streamed\"},\"aliases\":[\"staging\"]}");
        Assert.InRange(body.Length, 20_000_000, 29_000_000);

        var response = await client.PostAsync(uploads.VersionsUrl("streamed"), new StringContent(body.ToString(), System.Text.Encoding.UTF8, "application/json"));

        var created = await response.ReadOkAsync<CreateVersionResponse>(HttpStatusCode.Created);
        Assert.Equal(count, created.FileCount);
        var committed = await (await uploads.CommitAsync("streamed", created.VersionId!.Value)).ReadOkAsync<CommitVersionResponse>();
        Assert.Equal("streamed", committed.Version.Metadata.GetProperty("source").GetString());
        Assert.Contains("staging", committed.Version.Aliases);
    }

    internal static byte[] GzipOfNewlines(long length)
    {
        var chunk = new byte[1024 * 1024];
        chunk.AsSpan().Fill((byte)'\n');
        using var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (long written = 0; written < length; written += chunk.Length)
                gzip.Write(chunk);
        }
        return body.ToArray();
    }
}

public sealed class ManifestLimitsApiTests_Sqlite(SqliteApp app) : ManifestLimitsApiTests(app), IClassFixture<SqliteApp>;

public sealed class ManifestLimitsApiTests_Postgres(PostgresApp app) : ManifestLimitsApiTests(app), IClassFixture<PostgresApp>;
