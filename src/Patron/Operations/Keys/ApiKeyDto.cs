using System.Text.Json.Serialization;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Keys;

/// <summary>An API key as the API shows it and the audit trail records it (never its secret, except in the answer that creates it).</summary>
public sealed record ApiKeyDto(
    string Id, string? Name, string Scope, string SecretHint, int? RateLimitPerMinute,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Secret = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "api_key";

    public static ApiKeyDto From(ApiKeyRow k, string? secret = null) => new(
        k.Id, k.Name, k.Scope, k.SecretHint, k.RateLimitPerMinute,
        k.ExpiresAt is { } e ? Time.FromMs(e) : null,
        k.RevokedAt is { } r ? Time.FromMs(r) : null,
        Time.FromMs(k.CreatedAt), secret);
}

/// <summary>The scopes of an API key as stored (docs/API.md, Authentication).</summary>
public static class ApiKeyScopes
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    public static bool IsValid(string? scope) => scope is Read or Write or Admin;
}
