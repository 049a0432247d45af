using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Portal.Cli.Tests.Client;

/// <summary>The SDK's retry and error rules, with a scripted transport (the server's behaviour is not the point here).</summary>
public sealed class PortalClientTests
{
    private sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add($"{request.Method} {request.RequestUri!.PathAndQuery} {body}".TrimEnd());
            return answers[Math.Min(Requests.Count - 1, answers.Length - 1)](request);
        }
    }

    private static HttpResponseMessage Status(HttpStatusCode status, string body = "", string type = "application/problem+json") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, type) };

    private static PortalClient Client(HttpMessageHandler handler) =>
        new(new Uri("http://portal.test"), "ptl_token", handler) { RetryDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task Reads_are_retried_after_server_errors_and_dropped_connections()
    {
        var handler = new ScriptedHandler(
            _ => Status(HttpStatusCode.ServiceUnavailable),
            _ => throw new HttpRequestException("connection reset"),
            _ => Status(HttpStatusCode.OK, """{"id":"u1","email":"a@b.c","displayName":"A","isSiteAdmin":false}""", "application/json"));
        using var client = Client(handler);

        var me = await client.GetMeAsync();

        Assert.Equal("a@b.c", me.Email);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task A_retry_waits_as_long_as_retry_after_asks()
    {
        var clock = new FakeTimeProvider();
        var handler = new ScriptedHandler(
            _ =>
            {
                var busy = Status(HttpStatusCode.TooManyRequests, """{"code":"rate_limited","detail":"slow down"}""");
                busy.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(30));
                return busy;
            },
            _ => Status(HttpStatusCode.OK, """{"id":"u1","email":"a@b.c","displayName":"A","isSiteAdmin":false}""", "application/json"));
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler) { RetryDelay = TimeSpan.FromMilliseconds(1), TimeProvider = clock };

        var me = client.GetMeAsync();
        await WaitUntilAsync(() => handler.Requests.Count == 1);
        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.Single(handler.Requests);
        Assert.False(me.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a@b.c", (await me.WaitAsync(TimeSpan.FromSeconds(30))).Email);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task Reads_give_up_after_the_configured_retries_with_the_last_answer()
    {
        var handler = new ScriptedHandler(
            _ => Status(HttpStatusCode.BadGateway),
            _ => Status(HttpStatusCode.BadGateway),
            _ => Status(HttpStatusCode.ServiceUnavailable, """{"code":"unavailable","detail":"down for maintenance"}"""));
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler) { RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetries = 2 };

        var error = await Assert.ThrowsAsync<PortalApiException>(() => client.GetMeAsync());

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal("unavailable", error.Code);
        Assert.Equal("down for maintenance", error.Detail);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition());
    }

    [Fact]
    public async Task Writes_are_sent_once_even_when_the_server_fails()
    {
        var handler = new ScriptedHandler(_ => Status(HttpStatusCode.InternalServerError, """{"code":"internal_error","detail":"boom"}"""));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<PortalApiException>(() => client.CreateRunAsync("p", new CreateRunRequest("training")));

        Assert.Single(handler.Requests);
        Assert.Equal(HttpStatusCode.InternalServerError, error.Status);
        Assert.Equal("boom", error.Detail);
    }

    [Fact]
    public async Task Problem_details_become_status_code_and_detail()
    {
        var handler = new ScriptedHandler(_ => Status(HttpStatusCode.NotFound, """{"title":"Not found","status":404,"detail":"No project \"x\".","code":"project_not_found"}"""));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<PortalApiException>(() => client.GetProjectAsync("x"));

        Assert.Equal(HttpStatusCode.NotFound, error.Status);
        Assert.Equal(ErrorCodes.ProjectNotFound, error.Code);
        Assert.Equal("No project \"x\".", error.Detail);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task An_error_without_problem_details_still_has_a_code_and_message()
    {
        var handler = new ScriptedHandler(_ => Status(HttpStatusCode.BadGateway, "<html>proxy</html>", "text/html"));
        using var client = new PortalClient(new Uri("http://portal.test"), "ptl_token", handler) { MaxRetries = 0 };

        var error = await Assert.ThrowsAsync<PortalApiException>(() => client.ListProjectsAsync());

        Assert.Equal("http_502", error.Code);
        Assert.Contains("502", error.Detail);
    }

    [Fact]
    public async Task A_blob_upload_reopens_its_file_for_every_attempt()
    {
        var handler = new ScriptedHandler(
            _ => throw new HttpRequestException("connection reset"),
            _ => Status(HttpStatusCode.Created, """{"digest":"d","size":5,"alreadyStored":false}""", "application/json"));
        using var client = Client(handler);
        var opened = 0;

        var result = await client.PutBlobAsync("d", () =>
        {
            opened++;
            return new MemoryStream("hello"u8.ToArray());
        });

        Assert.Equal(2, opened);
        Assert.Equal(5, result.Size);
        Assert.All(handler.Requests, r => Assert.Equal("PUT /api/v1/blobs/sha256/d hello", r));
    }

    [Fact]
    public async Task Missing_blobs_are_asked_for_in_batches()
    {
        var handler = new ScriptedHandler(_ => Status(HttpStatusCode.OK, """{"missing":[]}""", "application/json"));
        using var client = Client(handler);
        var digests = Enumerable.Range(0, MissingBlobsRequest.MaxDigests + 5).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));

        await client.FindMissingBlobsAsync(digests);

        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task A_bare_artifact_name_resolves_latest()
    {
        var handler = new ScriptedHandler(_ => Status(HttpStatusCode.NotFound, """{"code":"artifact_not_found","detail":"no"}"""));
        using var client = Client(handler);

        await Assert.ThrowsAsync<PortalApiException>(() => client.ResolveVersionAsync("p", "corpus"));

        Assert.Equal("GET /api/v1/projects/p/resolve/corpus%3Alatest", handler.Requests.Single());
    }
}
