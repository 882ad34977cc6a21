using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Patron.Domain;

namespace Patron.Storage;

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

/// <summary>
/// API key rows: a new secret, its SHA-256 (the only form stored) and its hint, and the insert of a
/// new key inside a write. The secret is returned once, to the caller that creates the key.
/// </summary>
public static class ApiKeyRows
{
    public static string NewSecret() => "sk_" + Ids.Secret();

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Hint(string secret) =>
        secret.Length > 10 ? string.Concat(secret.AsSpan(0, 3), "...", secret.AsSpan(secret.Length - 4)) : "sk_...";

    /// <summary>Adds a key inside a write; the secret is returned here and never again.</summary>
    public static async Task<(ApiKeyRow Row, string Secret)> CreateAsync(
        PatronDb db, long nowMs, string programId, string scope, string? name,
        long? expiresAtMs = null, int? rateLimitPerMinute = null, string? secret = null)
    {
        secret ??= NewSecret();
        var row = new ApiKeyRow
        {
            Id = Ids.New("key_"),
            ProgramId = programId,
            Name = name,
            Scope = scope,
            SecretHash = Hash(secret),
            SecretHint = Hint(secret),
            RateLimitPerMinute = rateLimitPerMinute,
            ExpiresAt = expiresAtMs,
            CreatedAt = nowMs,
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync();
        return (row, secret);
    }
}
