using System.Text.Json;
using System.Text.Json.Serialization;
using Patron.Api;

namespace Patron.Dialects.LoyaltyPlus;

/// <summary>
/// Loyalty+'s POS and owner API under <c>/compat/loyaltyplus/v1</c> (docs/migrate/loyaltyplus.md). The POS
/// routes read the key from <c>X-API-Key</c> (a Bearer key works too); the owner routes from
/// <c>Authorization: Bearer</c> and need a key of the write scope or above, for reads as well.
/// Errors are <c>{"success": false, "error": "...", "code": "..."}</c>, as Loyalty+'s answers carry <c>success</c>.
/// </summary>
public sealed class LoyaltyPlusDialect : Dialect
{
    public override string Name => "loyaltyplus";

    public override string Title => "Loyalty+";

    public override PathString BasePath => "/compat/loyaltyplus/v1";

    public override string? ReadKey(HttpRequest request)
    {
        var owner = request.Path.StartsWithSegments(BasePath + "/owner", StringComparison.OrdinalIgnoreCase);
        if (!owner && request.Headers.TryGetValue("X-API-Key", out var key))
        {
            return key.ToString().Trim();
        }
        return BearerKey(request);
    }

    public override async Task WriteErrorAsync(HttpContext http, ApiException error)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(http.Response.Body, new LoyaltyPlusError(error.Message, error.Code), PatronJson.Options);
    }

    public override void Map(RouteGroupBuilder routes)
    {
        PosRoutes.Map(routes.MapGroup("/pos"));
        OwnerRoutes.Map(routes.MapGroup("/owner"));
    }
}

/// <summary>Every Loyalty+ error: <c>success</c> false, a sentence, and the core's stable code.</summary>
public sealed record LoyaltyPlusError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("code")] string Code)
{
    [JsonPropertyName("success"), JsonPropertyOrder(-1)]
    public bool Success => false;
}
