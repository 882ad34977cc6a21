using Microsoft.Extensions.Options;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Bearer API keys on <c>/api/</c> (SPEC section 2): a valid, unexpired, unrevoked key; read keys
/// may only GET; each key's requests are counted against its rate limit.
/// </summary>
public sealed class ApiKeyAuthenticationMiddleware(
    RequestDelegate next, ApiKeyService keys, RateLimits limits, IOptions<PatronOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(http);
            return;
        }

        RequestBody.LimitBody(http);
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            throw ApiException.Unauthorized("missing_api_key", "No API key given. Send Authorization: Bearer <secret key>.");
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw ApiException.Unauthorized("invalid_api_key", "The Authorization header must be: Bearer <secret key>.");
        }

        var caller = await keys.AuthenticateAsync(header[7..].Trim());
        limits.Hit(http, caller.KeyId, caller.RateLimitPerMinute ?? options.Value.RateLimit.PerMinute);

        var method = http.Request.Method;
        if (caller.Scope == Scope.Read && !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)))
        {
            throw ApiException.Forbidden("insufficient_scope", "This API key is read-only.");
        }
        RequestBody.RejectNulInQuery(http.Request);
        caller.AttachTo(http);
        await next(http);
    }
}
