using System.Security.Claims;
using Microsoft.Net.Http.Headers;
using Portal.Client.Models;
using Portal.Core.Features.Artifacts;

namespace Portal.Web.Features.Artifacts;

/// <summary>Reading a committed version by id: folders, files, the whole version as tar, diffs and reverse look-ups.</summary>
public static class VersionContentEndpoints
{
    public static RouteGroupBuilder MapVersionContentApi(this RouteGroupBuilder api)
    {
        var versions = api.MapGroup("/projects/{slug}/versions/{versionId:guid}").WithTags("Version contents");

        versions.MapGet("/files", (string slug, Guid versionId, string? path, string? continuation, int? limit, ClaimsPrincipal user, VersionFiles files, CancellationToken ct) =>
                files.ListAsync(user, slug, versionId, path, continuation, limit ?? 200, ct))
            .WithName("ListVersionFiles")
            .WithSummary("The folders and files directly inside a folder of the version (path = folder; empty for the root), a page at a time.")
            .Produces<VersionFilesResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        versions.MapGet("/file", async (string slug, Guid versionId, string path, bool? inline, HttpContext http, ClaimsPrincipal user, VersionContent content, CancellationToken ct) =>
            {
                var partial = http.Request.Headers.Range.Count > 0;
                var download = await content.OpenAsync(user, slug, versionId, path, partial, ct);
                var name = path[(path.LastIndexOf('/') + 1)..];
                if (inline == true && FilePreview.ImageContentType(path) is { } imageType)
                {
                    // Only for an <img> on the preview: an image type, never sniffed, and sandboxed with no script or
                    // plug-in should someone open it directly (an SVG can carry script; an <img> never runs it).
                    http.Response.Headers.XContentTypeOptions = "nosniff";
                    http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";
                    http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("inline") { FileNameStar = name }.ToString();
                    return Results.Stream(download.Content, imageType,
                        entityTag: new EntityTagHeaderValue($"\"{download.Entry.Digest}\""), enableRangeProcessing: true);
                }

                // The digest is the strong validator: the bytes behind a path of a version never change.
                return Results.Stream(download.Content, "application/octet-stream", fileDownloadName: name,
                    entityTag: new EntityTagHeaderValue($"\"{download.Entry.Digest}\""), enableRangeProcessing: true);
            })
            .WithName("DownloadVersionFile")
            .WithSummary("One file's bytes (ETag = its SHA-256; HTTP range requests supported), sent as an attachment; with inline=true an image (png, jpg, gif, webp, svg) comes with its image type, nosniff and a sandboxing CSP, for <img>.")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        versions.MapGet("/entry", async (string slug, Guid versionId, string path, ClaimsPrincipal user, VersionContent content, CancellationToken ct) =>
            {
                var e = await content.GetEntryAsync(user, slug, versionId, path, ct);
                return new VersionFileItem("file", e.Path, e.Path[(e.Path.LastIndexOf('/') + 1)..], e.Digest, e.Size, e.Ref);
            })
            .WithName("GetVersionEntry").WithSummary("One manifest entry: digest, size and reference of a path.")
            .Produces<VersionFileItem>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        versions.MapGet("/archive.tar", async (string slug, Guid versionId, HttpContext http, ClaimsPrincipal user, VersionContent content, CancellationToken ct) =>
            {
                var (ranges, version) = await content.PrepareArchiveAsync(user, slug, versionId, ct);
                http.Response.ContentType = "application/x-tar";
                http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = $"{slug}-v{version.Index}.tar" }.ToString();
                await content.WriteArchiveAsync(ranges, http.Response.Body, ct);
            })
            .WithName("DownloadVersionArchive").WithSummary("The whole version as a streamed tar (reference entries are left out).")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/projects/{slug}/diff", async (string slug, string from, string to, string? toProject, string? change, string? continuation, int? limit, ClaimsPrincipal user, VersionSpecs specs, VersionDiff diff, CancellationToken ct) =>
                await diff.DiffAsync(user, slug, await specs.ResolveAsync(user, slug, from, ct), toProject ?? slug, await specs.ResolveAsync(user, toProject ?? slug, to, ct),
                    change, continuation, limit ?? 500, ct))
            .WithTags("Version contents").WithName("DiffVersions")
            .WithSummary("Changes from one version to another (any artifacts; toProject for a version in another project): added, removed, modified, renamed. Versions are named by id, artifact:vN, artifact:alias or artifact:digest.")
            .Produces<VersionDiffResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/blobs/sha256/{digest}/versions", (string digest, ClaimsPrincipal user, ContainingVersions lookups, CancellationToken ct) =>
                lookups.WithDigestAsync(user, digest, ct))
            .WithTags("Version contents").WithName("VersionsContainingBlob")
            .WithSummary("Committed versions, in projects you can read, that hold a file with this SHA-256.")
            .Produces<IReadOnlyList<ContainingVersion>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/projects/{slug}/versions-containing", (string slug, string path, string? artifact, ClaimsPrincipal user, ContainingVersions lookups, CancellationToken ct) =>
                lookups.WithPathAsync(user, slug, path, artifact, ct))
            .WithTags("Version contents").WithName("VersionsContainingPath")
            .WithSummary("Committed versions of the project (or of one artifact) that hold this exact path.")
            .Produces<IReadOnlyList<ContainingVersion>>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
