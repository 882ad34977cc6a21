using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Bearer API keys on <c>/api/</c>, and on each dialect's base path with the key where that dialect reads it: a valid, unexpired, unrevoked key; read keys
/// may only GET; each key's requests are counted against its rate limit. An address that keeps
/// failing authentication is throttled (<see cref="AuthFailureThrottle"/>).
/// </summary>
public sealed class ApiKeyAuthenticationMiddleware(
    RequestDelegate next, ApiKeyService keys, RateLimits limits, AuthFailureThrottle throttle, IOptions<PatronOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var dialect = Dialects.Dialect.For(http);
        // /api/v1/me takes a customer's credential, never an API key (Members.MeEndpoints).
        if (dialect is null && (!http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
            || http.Request.Path.StartsWithSegments(Members.MeEndpoints.BasePath, StringComparison.Ordinal)))
        {
            await next(http);
            return;
        }

        RequestBody.LimitBody(http);
        var address = http.Connection.RemoteIpAddress;
        throttle.ThrowIfThrottled(address);
        Caller caller;
        try
        {
            caller = dialect is null
                ? await AuthenticateAsync(http.Request.Headers.Authorization.ToString())
                : await AuthenticateDialectAsync(dialect.ReadKey(http.Request));
        }
        catch (ApiException e) when (e.Status == 401)
        {
            await throttle.FailedAsync(address);
            throw;
        }
        await limits.HitAsync(http, caller.KeyId, caller.RateLimitPerMinute ?? options.Value.RateLimit.PerMinute);

        var method = http.Request.Method;
        var write = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
        if (caller.Scope == Scope.Read && write)
        {
            throw ApiException.Forbidden("insufficient_scope", "This API key is read-only.");
        }
        RequestBody.RejectNulInQuery(http.Request);
        caller.AttachTo(http);
        if (write)
        {
            // Another instance may have revoked the key since it was cached: the request's writes confirm it.
            keys.ConfirmInWrites(caller);
        }
        try
        {
            await next(http);
        }
        catch (OperationException e) when (e.Kind == ErrorKind.Unauthorized)
        {
            await throttle.FailedAsync(address);
            throw;
        }
    }

    private Task<Caller> AuthenticateDialectAsync(string? key) => key switch
    {
        null => throw ApiException.Unauthorized("missing_api_key", "No API key given."),
        "" => throw ApiException.Unauthorized("invalid_api_key", "The API key header is malformed."),
        _ => keys.AuthenticateAsync(key),
    };

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
