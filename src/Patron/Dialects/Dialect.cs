using Patron.Api;

namespace Patron.Dialects;

/// <summary>
/// A front door that speaks another loyalty service's API under its own base path, so an integration
/// written for that service moves to Patron by changing its base URL and key (docs/migrate/).
/// A dialect owns only its routes, its request and response shapes, where it reads the API key from
/// and the shape of its errors; every business rule, write, event and limit is the core's.
/// </summary>
/// <remarks>
/// Authentication, rate limits and the read-only rule for read keys apply to a dialect's routes as to
/// the native API (<see cref="ApiKeyAuthenticationMiddleware"/>); every error on a path under
/// <see cref="BasePath"/>, an unknown route included, is written by <see cref="WriteErrorAsync"/>.
/// Each dialect is its own OpenAPI document, <c>/openapi/{Name}.json</c>.
/// </remarks>
public abstract class Dialect
{
    /// <summary>Short lower-case name: the OpenAPI document's name and the endpoints' group name.</summary>
    public abstract string Name { get; }

    /// <summary>The service's name as merchants know it.</summary>
    public abstract string Title { get; }

    /// <summary>Every route of the dialect is under this path, e.g. <c>/compat/loyaltyplus/v1</c>.</summary>
    public abstract PathString BasePath { get; }

    /// <summary>The secret key the request carries, or null when it carries none. Bearer by default.</summary>
    public virtual string? ReadKey(HttpRequest request) => BearerKey(request);

    /// <summary>Writes <paramref name="error"/> (already mapped from the core's failure) in the dialect's error shape.</summary>
    public abstract Task WriteErrorAsync(HttpContext http, ApiException error);

    /// <summary>Maps the dialect's routes onto a group already rooted at <see cref="BasePath"/>.</summary>
    public abstract void Map(RouteGroupBuilder routes);

    /// <summary>The key of <c>Authorization: Bearer &lt;key&gt;</c>; an empty string when the header is there but is not a Bearer key.</summary>
    public static string? BearerKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
    }

    /// <summary>The dialect serving <paramref name="path"/>, if any.</summary>
    public static Dialect? For(HttpContext http)
    {
        // Every request asks (authentication, error writing): no request scope, no allocation.
        foreach (var dialect in DialectRegistration.All)
        {
            if (http.Request.Path.StartsWithSegments(dialect.BasePath, StringComparison.OrdinalIgnoreCase))
            {
                return dialect;
            }
        }
        return null;
    }
}
