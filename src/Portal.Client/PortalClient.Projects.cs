using Portal.Client.Models;

namespace Portal.Client;

public sealed partial class PortalClient
{
    public Task<IReadOnlyList<ProjectResponse>> ListProjectsAsync(string? search = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ProjectResponse>>("api/v1/projects" + Query(("search", search)), ct);

    public Task<ProjectResponse> GetProjectAsync(string slug, CancellationToken ct = default) =>
        GetAsync<ProjectResponse>($"api/v1/projects/{Escape(slug)}", ct);

    public Task<ProjectResponse> CreateProjectAsync(CreateProjectRequest request, CancellationToken ct = default) =>
        PostAsync<ProjectResponse>("api/v1/projects", request, ct);

    public Task<IReadOnlyList<ProjectMemberResponse>> ListProjectMembersAsync(string slug, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ProjectMemberResponse>>($"api/v1/projects/{Escape(slug)}/members", ct);

    public Task<ProjectMemberResponse> AddProjectMemberAsync(string slug, AddProjectMemberRequest request, CancellationToken ct = default) =>
        PostAsync<ProjectMemberResponse>($"api/v1/projects/{Escape(slug)}/members", request, ct);

    public Task<ProjectMemberResponse> ChangeProjectMemberRoleAsync(string slug, string userId, ChangeProjectMemberRoleRequest request, CancellationToken ct = default) =>
        SendForAsync<ProjectMemberResponse>(
            () => new HttpRequestMessage(HttpMethod.Put, $"api/v1/projects/{Escape(slug)}/members/{Escape(userId)}") { Content = System.Net.Http.Json.JsonContent.Create(request, options: Json) },
            idempotent: true, ct);

    public Task RemoveProjectMemberAsync(string slug, string userId, CancellationToken ct = default) =>
        SendNoContentAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/v1/projects/{Escape(slug)}/members/{Escape(userId)}"), idempotent: false, ct);
}
