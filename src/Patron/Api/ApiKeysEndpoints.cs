using Patron.Domain;
using Patron.Operations.Keys;
using Patron.Storage;

namespace Patron.Api;

/// <summary>API keys of the caller's program (docs/API.md API keys; admin scope).</summary>
public static class ApiKeysEndpoints
{
    public sealed class ApiKeyInput
    {
        public string? Name { get; set; }
        public string? Scope { get; set; }
        public DateTimeOffset? ExpiresAt { get; set; }
        public int? RateLimitPerMinute { get; set; }
    }

    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/api_keys").WithTags("API keys");
        group.MapGet("/", List).WithSummary("List the program's API keys (admin)").Produces<ListEnvelope<ApiKeyDto>>();
        group.MapPost("/", Create).WithSummary("Create an API key; its secret is shown only in this answer (admin)")
            .Accepts<ApiKeyInput>("application/json").Produces<ApiKeyDto>(201);
        group.MapDelete("/{id}", Revoke).WithSummary("Revoke an API key at once (admin)").Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database)
    {
        caller.RequireAdmin();
        return TypedResults.Ok(await ApiKeyQueries.ListAsync(database, caller.ProgramId, Paging.From(request)));
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes, TimeProvider clock)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<ApiKeyInput>();
        var request = new ApiKeyRequest(input.Name, input.Scope ?? ApiKeyScopes.Write, input.ExpiresAt, input.RateLimitPerMinute);
        ApiKeyOperations.Validate(request, clock.GetUtcNow());
        return await writes.RunAsync(http, caller, async context =>
        {
            var (key, secret) = await ApiKeyOperations.CreateAsync(context, caller.Actor, caller.ProgramId, request);
            return Reply.Created(key with { Secret = secret });
        });
    }

    private static async Task<IResult> Revoke(string id, HttpContext http, Caller caller, Writes writes, ApiKeyService keys)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await ApiKeyOperations.RevokeAsync(context, caller.Actor, caller.ProgramId, id);
            context.AfterCommit.Add(() => keys.Forget(id));
            return Reply.Ok(new DeletedObject(id, "api_key"));
        });
    }
}
