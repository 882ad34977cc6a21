using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>API keys of the caller's program (docs/API.md API keys; admin scope).</summary>
public static class ApiKeysEndpoints
{
    public sealed record ApiKeyDto(
        string Id, string? Name, string Scope, string SecretHint, int? RateLimitPerMinute,
        DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset CreatedAt,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        string? Secret = null)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "api_key";

        public static ApiKeyDto From(ApiKeyRow k, string? secret = null) => new(
            k.Id, k.Name, k.Scope, k.SecretHint, k.RateLimitPerMinute,
            k.ExpiresAt is { } e ? PatronJson.FromMs(e) : null,
            k.RevokedAt is { } r ? PatronJson.FromMs(r) : null,
            PatronJson.FromMs(k.CreatedAt), secret);
    }

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
        var paging = Paging.From(request);
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = caller.ProgramId };
        var query = db.ApiKeys.AsQueryable();
        if (paging.StartingAfter is { } after)
        {
            query = query.Where(k => string.Compare(k.Id, after) < 0);
        }
        var rows = await query.OrderByDescending(k => k.Id).Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await db.ApiKeys.LongCountAsync() : null;
        return TypedResults.Ok(paging.Envelope(rows.Select(k => ApiKeyDto.From(k)).ToList(), total));
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes, TimeProvider clock)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<ApiKeyInput>();
        var scope = Caller.ParseScope(input.Scope ?? "write")
            ?? throw ApiException.Invalid("scope", "'scope' must be 'read', 'write' or 'admin'.");
        if (ApiKeyService.Refusal(input.Name, input.ExpiresAt, input.RateLimitPerMinute, clock.GetUtcNow()) is { } refusal)
        {
            throw ApiException.Invalid(refusal.Field, $"'{refusal.Field}' {refusal.Reason}");
        }
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var (row, secret) = await ApiKeyService.CreateAsync(db, context.NowMs, caller.ProgramId, scope, input.Name,
                input.ExpiresAt?.ToUnixTimeMilliseconds(), input.RateLimitPerMinute);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.ApiKeyCreated, row.Id, null, ApiKeyDto.From(row));
            return Reply.Created(ApiKeyDto.From(row, secret));
        });
    }

    private static async Task<IResult> Revoke(string id, HttpContext http, Caller caller, Writes writes, ApiKeyService keys)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var before = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id)
                ?? throw ApiException.NotFound("API key", id);
            var changed = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, context.NowMs));
            if (changed > 0)
            {
                await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.ApiKeyRevoked, id,
                    ApiKeyDto.From(before), ApiKeyDto.From(before) with { RevokedAt = context.Now });
            }
            context.AfterCommit.Add(() => keys.Forget(id));
            return Reply.Ok(new DeletedObject(id, "api_key"));
        });
    }
}
