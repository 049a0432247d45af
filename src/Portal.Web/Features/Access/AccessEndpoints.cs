using System.Security.Claims;
using Portal.Client.Models;
using Portal.Core.Features.Access;

namespace Portal.Web.Features.Access;

public static class AccessEndpoints
{
    public static RouteGroupBuilder MapAccessApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (ClaimsPrincipal user, Users users, CancellationToken ct) => users.MeAsync(user, ct))
            .WithTags("Access").WithName("GetMe").WithSummary("The account the request is authenticated as.");

        var tokens = api.MapGroup("/me/tokens").WithTags("Access");
        tokens.MapGet("/", (ClaimsPrincipal user, ApiTokens useCase, CancellationToken ct) =>
                useCase.ListAsync(ProjectAccess.UserId(user)!, ct))
            .WithName("ListApiTokens").WithSummary("Your API tokens: names, prefixes and dates, never the secrets.");
        tokens.MapPost("/", async (ClaimsPrincipal user, ApiTokens useCase, CreateApiTokenRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(ProjectAccess.UserId(user)!, request, ct);
                return TypedResults.Created($"/api/v1/me/tokens/{created.Token.Id}", created);
            })
            .WithName("CreateApiToken").WithSummary("Creates a personal API token; the secret is in this response only.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        tokens.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, ApiTokens useCase, CancellationToken ct) =>
            {
                await useCase.RevokeAsync(ProjectAccess.UserId(user)!, id, ct);
                return TypedResults.NoContent();
            })
            .WithName("RevokeApiToken").WithSummary("Revokes one of your API tokens at once.").ProducesProblem(StatusCodes.Status404NotFound);

        var users = api.MapGroup("/users").WithTags("Access");
        users.MapGet("/", (ClaimsPrincipal user, Users useCase, CancellationToken ct) => useCase.ListAsync(user, ct))
            .WithName("ListUsers").WithSummary("All accounts (site admins).").ProducesProblem(StatusCodes.Status403Forbidden);
        users.MapPost("/", async (ClaimsPrincipal user, Users useCase, CreateUserRequest request, CancellationToken ct) =>
            {
                var created = await useCase.CreateAsync(user, request, ct);
                return TypedResults.Created($"/api/v1/users/{created.User.Id}", created);
            })
            .WithName("CreateUser").WithSummary("Creates an account (site admins); without a password one is generated and returned once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }
}
