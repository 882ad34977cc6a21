namespace Patron.Client;

/// <summary>An API key of the program (docs/API.md, API keys).</summary>
public sealed class ApiKey : IHasId
{
    public string Object { get; set; } = "api_key";
    public string Id { get; set; } = "";
    public string? Name { get; set; }

    /// <summary><c>read</c>, <c>write</c> or <c>admin</c>.</summary>
    public string Scope { get; set; } = "";

    public string SecretHint { get; set; } = "";
    public int? RateLimitPerMinute { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The secret (<c>sk_...</c>): only in the answer to <c>CreateAsync</c>.</summary>
    public string? Secret { get; set; }
}

/// <summary><c>POST /api_keys</c> (admin).</summary>
public sealed class ApiKeyCreateOptions
{
    public string? Name { get; set; }

    /// <summary><c>read</c>, <c>write</c> or <c>admin</c>.</summary>
    public string? Scope { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Requests a minute for this key (<c>0</c> = no limit); null takes the server's default.</summary>
    public int? RateLimitPerMinute { get; set; }
}
