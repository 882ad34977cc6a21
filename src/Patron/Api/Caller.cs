namespace Patron.Api;

public enum Scope { Read = 1, Write = 2, Admin = 3 }

/// <summary>The authenticated API key behind a request; every query is filtered by its program.</summary>
public sealed record Caller(string KeyId, string ProgramId, Scope Scope, int? RateLimitPerMinute, long? ExpiresAtMs)
{
    private const string Item = "patron.caller";

    public static ValueTask<Caller?> BindAsync(HttpContext http) =>
        ValueTask.FromResult<Caller?>(From(http));

    public static Caller From(HttpContext http) =>
        http.Items.TryGetValue(Item, out var c) && c is Caller caller
            ? caller
            : throw ApiException.Unauthorized("missing_api_key", "No API key given. Send Authorization: Bearer <secret key>.");

    public void AttachTo(HttpContext http) => http.Items[Item] = this;

    /// <summary>Who the audit trail records for this request's changes.</summary>
    public Domain.Actor Actor => Domain.Actor.ApiKey(KeyId);

    /// <summary>Admin endpoints (program configuration, keys, webhook endpoints) call this first.</summary>
    public void RequireAdmin()
    {
        if (Scope < Scope.Admin)
        {
            throw ApiException.Forbidden("insufficient_scope", "This request needs an API key with the admin scope.");
        }
    }

    public static string ScopeName(Scope scope) => scope switch
    {
        Scope.Read => "read",
        Scope.Write => "write",
        _ => "admin",
    };

    public static Scope? ParseScope(string? s) => s switch
    {
        "read" => Scope.Read,
        "write" => Scope.Write,
        "admin" => Scope.Admin,
        _ => null,
    };
}
