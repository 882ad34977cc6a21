using System.Text.Json;
using System.Text.Json.Serialization;
using Patron.Api;

namespace Patron.Dialects.LoyaltyLoop;

/// <summary>
/// Loyalty Loop's REST API (a stamp card: customers collect stamps, a full card issues a reward)
/// under <c>/compat/loyaltyloop</c>, with its Bearer key. docs/migrate/loyaltyloop.md says what maps
/// to what and what differs.
/// </summary>
public sealed class LoyaltyLoopDialect : Dialect
{
    public override string Name => "loyaltyloop";

    public override string Title => "Loyalty Loop";

    public override PathString BasePath => "/compat/loyaltyloop";

    /// <summary>
    /// Every error, an unknown route and a missing key included: <c>{"error": message, "code": the
    /// core's code}</c>, with <c>"param"</c> when the error concerns one input.
    /// </summary>
    public override async Task WriteErrorAsync(HttpContext http, ApiException error)
    {
        CopyRateLimitHeaders(http);
        http.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(http.Response.Body, new LoyaltyLoopError(error.Message, error.Code, error.Param), PatronJson.Options);
    }

    public override void Map(RouteGroupBuilder routes)
    {
        routes.AddEndpointFilter(async (context, next) =>
        {
            CopyRateLimitHeaders(context.HttpContext);
            return await next(context);
        });
        LoyaltyLoopRoutes.Map(routes);
    }

    /// <summary>
    /// The core's <c>RateLimit-Limit/Remaining/Reset</c> (already set when the key was counted) are
    /// also sent as <c>X-RateLimit-*</c>, the names most client libraries read.
    /// </summary>
    private static void CopyRateLimitHeaders(HttpContext http)
    {
        var headers = http.Response.Headers;
        foreach (var name in (string[])["Limit", "Remaining", "Reset"])
        {
            if (headers.TryGetValue("RateLimit-" + name, out var value))
            {
                headers["X-RateLimit-" + name] = value;
            }
        }
    }
}

/// <summary>Loyalty Loop's error body.</summary>
public sealed record LoyaltyLoopError(
    string Error, string Code, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Param);
