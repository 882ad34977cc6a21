using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Storage;

namespace Patron.Mcp;

/// <summary>
/// The bearer API key on <c>/mcp</c>, checked as on the native API: a valid, unexpired, unrevoked key (else a
/// 401 with the error envelope), counted against the key's rate limit, and a throttle on addresses that keep
/// failing. Every method is allowed here (MCP posts its reads too); the scope is enforced tool by tool
/// (<see cref="PatronTools"/>).
/// </summary>
public sealed class McpAuthentication(
    RequestDelegate next, ApiKeyService keys, RateLimits limits, AuthFailureThrottle throttle, IOptions<PatronOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        throttle.ThrowIfThrottled(address);
        Caller caller;
        try
        {
            caller = await AuthenticateAsync(http.Request.Headers.Authorization.ToString());
        }
        catch (ApiException e) when (e.Status == 401)
        {
            await throttle.FailedAsync(address);
            throw;
        }
        await limits.HitAsync(http, caller.KeyId, caller.RateLimitPerMinute ?? options.Value.RateLimit.PerMinute);
        caller.AttachTo(http);
        http.RequestServices.GetRequiredService<HttpMcpCaller>().Checked = caller;
        // As on the API: a key revoked through another instance is refused by the next write.
        keys.ConfirmInWrites(caller);
        await next(http);
    }

    private Task<Caller> AuthenticateAsync(string header)
    {
        if (header.Length == 0)
        {
            throw ApiException.Unauthorized("missing_api_key", "No API key given. Send Authorization: Bearer <secret key>.");
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw ApiException.Unauthorized("invalid_api_key", "The Authorization header must be: Bearer <secret key>.");
        }
        return keys.AuthenticateAsync(header[7..].Trim());
    }
}
